"""Redaction speed on the 1 GB benchmark export, beside a plain read and write of the same file.

    python benchmarks/bench_redact.py                      # benchmarks/data/big_1gb.csv (made if missing)
    python benchmarks/bench_redact.py --path my_export.csv --assess

Each run is its own process (peak RSS is the process's own):

1. the plain copy: pyarrow reads the file as text columns in streaming blocks and writes it
   back with its CSV writer — the least any copy of the file costs;
2. ``chujing redact`` with one change of each kind: drop ``id_number``, pseudonymise ``mobile``
   (keyed BLAKE2b), generalise ``address`` to its city, mask ``name``; ``--no-assess`` by
   default (the copy alone), ``--assess`` also decides the path before and after (a scan's
   classification and counting, as ``chujing scan`` costs).

Prints seconds, MB/s, peak RSS and the ratio of the redaction to the plain copy.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import DATA, ensure_file, run_measured  # noqa: E402

PLAIN_COPY = """
import sys, pyarrow as pa, pyarrow.csv as c
src, dst = sys.argv[1], sys.argv[2]
names = c.open_csv(src).schema.names
r = c.open_csv(src, read_options=c.ReadOptions(block_size=16 << 20),
               convert_options=c.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=True))
w = None
rows = 0
for b in r:
    if w is None:
        w = c.CSVWriter(dst, b.schema)
    w.write_batch(b)
    rows += b.num_rows
w.close()
print(rows)
"""

CHANGES = ["--drop", "id_number", "--pseudonymise", "mobile", "--generalise", "address=city", "--mask", "name"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="1GB")
    ap.add_argument("--path", default=None, help="use this CSV instead of the generated one")
    ap.add_argument("--assess", action="store_true", help="also decide the path before and after (a scan's work)")
    ap.add_argument("--keep", action="store_true", help="keep the copies (printed folder)")
    args = ap.parse_args()

    path = Path(args.path) if args.path else DATA / f"big_{args.size.lower()}.csv"
    if not args.path:
        ensure_file(path, args.size, "csv")
    mb = path.stat().st_size / (1 << 20)
    python = sys.executable
    chujing = str(Path(python).with_name("chujing"))
    work = Path(tempfile.mkdtemp(prefix="chujing-bench-redact-"))
    try:
        plain_s, plain_rss, _, out = run_measured([python, "-c", PLAIN_COPY, str(path), str(work / "plain.csv")])
        rows = int(out.strip().splitlines()[-1])
        plain_mb = (work / "plain.csv").stat().st_size / (1 << 20)
        (work / "plain.csv").unlink()
        cmd = [chujing, "redact", str(path), "-o", str(work / "out"), *CHANGES, "--key", str(work / "bench.key"),
               "--overwrite", "-q"]
        if not args.assess:
            cmd.append("--no-assess")
        redact_s, redact_rss, code, _ = run_measured(cmd)
        copy = work / "out" / path.name
        out_mb = copy.stat().st_size / (1 << 20) if copy.exists() else 0.0
        print(f"input: {path} ({mb:,.0f} MB, {rows:,} rows)")
        print(f"plain read + write (pyarrow, text columns): {plain_s:6.1f} s  {mb / plain_s:6.1f} MB/s  "
              f"peak RSS {plain_rss:,} MB  (wrote {plain_mb:,.0f} MB)")
        print(f"chujing redact {' '.join(CHANGES)}{'' if args.assess else ' --no-assess'}: "
              f"{redact_s:6.1f} s  {mb / redact_s:6.1f} MB/s  peak RSS {redact_rss:,} MB  (wrote {out_mb:,.0f} MB, "
              f"exit {code})")
        print(f"ratio redact / plain copy: {redact_s / plain_s:.2f}x")
        manifest = work / "out" / "chujing-manifest.json"
        if manifest.exists() and args.assess:
            import json

            m = json.loads(manifest.read_text(encoding="utf-8"))
            print(f"path before: {m['path_before']}, after: {m['path_after']}")
        if args.keep:
            print(f"copies kept in {work}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
