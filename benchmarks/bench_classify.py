"""How fast column classification is, beside Presidio on the same data, measured in one run.

Builds a 10-column, 1,000,000-row Parquet file in a temporary directory (identifier columns in
messy formats plus two decoys), then on one core:

1. sampled classification of the whole file (read + spread sample of 5,000 values per column
   + classify), in cells of the file per second;
2. full-column validation (every row of every identifier column through its detector), the
   work the scanner does when it counts persons;
3. Presidio's ``BatchAnalyzerEngine`` with our recognizers (blank zh engine, no download) and
   presidio-structured's ``PandasAnalysisBuilder`` on a slice of the same file,

and prints the figures and their ratios.

    .venv/bin/python benchmarks/bench_classify.py [--rows 1000000] [--presidio-rows 2000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from detectors.base import strip_whitespace  # noqa: E402
from detectors.classify import as_text, classify_column  # noqa: E402
from detectors.registry import builtin_detectors, by_entity  # noqa: E402

SAMPLE = 5000
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
REGIONS = np.array([110105, 310115, 440305, 330106, 510107, 420106, 320102, 370202, 610113, 500103])


def _strings(matrix: np.ndarray) -> pa.Array:
    """uint8 character matrix → Arrow strings, without a Python loop."""
    n, width = matrix.shape
    offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32))
    return pa.StringArray.from_buffers(n, offsets.buffers()[1], pa.py_buffer(np.ascontiguousarray(matrix).tobytes()))


def _digits(rng, n, width):
    return rng.integers(0, 10, size=(n, width))


def _luhn_complete(body: np.ndarray) -> np.ndarray:
    rev = body[:, ::-1]
    doubled = rev[:, 0::2] * 2
    doubled = np.where(doubled > 9, doubled - 9, doubled)
    total = doubled.sum(axis=1) + rev[:, 1::2].sum(axis=1)
    return np.concatenate([body, ((10 - total % 10) % 10)[:, None]], axis=1)


def build_table(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    unique = min(n, 200_000)
    # resident IDs: region, birth date, sequence, MOD 11-2 check
    region = REGIONS[rng.integers(0, len(REGIONS), unique)]
    born = np.datetime64("1950-01-01") + rng.integers(0, 365 * 60, unique).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "").astype("U8")
    region_d = (region[:, None] // 10 ** np.arange(5, -1, -1)) % 10
    ymd_d = np.frombuffer(ymd.astype("S8").tobytes(), dtype=np.uint8).reshape(unique, 8) - 48
    first17 = np.concatenate([region_d, ymd_d, _digits(rng, unique, 3)], axis=1)
    check = np.frombuffer(b"10X98765432", dtype=np.uint8)[(first17 * ID_WEIGHTS).sum(axis=1) % 11]
    ids = _strings(np.concatenate([(first17 + 48).astype(np.uint8), check[:, None]], axis=1))
    # mobiles, as text with messy separators and as int64
    second = rng.choice(list(b"3456789"), unique).astype(np.uint8)
    mob = np.concatenate([np.full((unique, 1), ord("1"), np.uint8), second[:, None],
                          (_digits(rng, unique, 9) + 48).astype(np.uint8)], axis=1)
    mobiles = _strings(mob)
    messy = pc.binary_join_element_wise(pa.array(np.where(rng.random(unique) < 0.3, "+86 ", "")), mobiles, "")
    mobiles_int = pc.cast(mobiles, pa.int64())
    # bank cards: 622202 + 12 digits + Luhn
    cards = _strings((_luhn_complete(np.concatenate([np.tile([6, 2, 2, 2, 0, 2], (unique, 1)), _digits(rng, unique, 12)], axis=1)) + 48).astype(np.uint8))
    # IMEI: 86 + 12 digits + Luhn
    imeis = _strings((_luhn_complete(np.concatenate([np.tile([8, 6], (unique, 1)), _digits(rng, unique, 12)], axis=1)) + 48).astype(np.uint8))
    # e-mails
    local = pc.cast(pa.array(rng.integers(10_000, 10_000_000, unique)), pa.string())
    emails = pc.binary_join_element_wise("user", local, pa.array(np.where(rng.random(unique) < 0.5, "@163.com", "@qq.com")), "")
    # plates
    prov = pa.array(rng.choice(list("京沪粤浙苏川鄂"), unique))
    letters = pa.array(rng.choice(list("ABCDEFGHJK"), unique))
    tail = pc.cast(pa.array(rng.integers(10_000, 100_000, unique)), pa.string())
    plates = pc.binary_join_element_wise(prov, letters, tail, "")
    # decoys: 18-digit order numbers and 13-digit ms timestamps
    orders = _strings((np.concatenate([np.tile([2, 0, 2, 4], (unique, 1)), _digits(rng, unique, 14)], axis=1) + 48).astype(np.uint8))
    created = pa.array(1_700_000_000_000 + rng.integers(0, 10**10, unique))
    # 11-digit batch codes that start with 1
    batch = _strings((np.concatenate([np.ones((unique, 1), int), _digits(rng, unique, 10)], axis=1) + 48).astype(np.uint8))

    reps = -(-n // unique)

    def tile(a: pa.Array) -> pa.Array:
        return pa.concat_arrays([a] * reps).slice(0, n)

    return pa.table({
        "身份证号": tile(ids), "c1": tile(messy), "mobile_int": tile(mobiles_int), "银行卡号": tile(cards),
        "imei": tile(imeis), "email": tile(emails), "车牌号": tile(plates),
        "订单号": tile(orders), "create_time_ms": tile(created), "c2": tile(batch),
    })


def spread_sample(column: pa.ChunkedArray, size: int) -> pa.Array:
    idx = np.linspace(0, len(column) - 1, min(size, len(column))).astype(np.int64)
    return column.take(pa.array(idx)).combine_chunks()


def bench_ours(path: Path, detectors) -> dict:
    t0 = time.perf_counter()
    table = pq.read_table(path)
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    results = {name: classify_column(name, spread_sample(table.column(name), SAMPLE), detectors) for name in table.column_names}
    t_classify = time.perf_counter() - t1
    cells = table.num_rows * table.num_columns
    # full-column validation of the identifier columns
    by = by_entity(detectors)
    t2 = time.perf_counter()
    validated = 0
    for name, c in results.items():
        if c.entity is None:
            continue
        text = strip_whitespace(as_text(table.column(name)))
        by[c.entity].valid_mask(text, header_named=c.header_named)
        validated += len(text)
    t_validate = time.perf_counter() - t2
    return {"table": table, "results": results, "cells": cells, "read": t_read, "classify": t_classify,
            "validate": t_validate, "validated_cells": validated}


def bench_presidio(table: pa.Table, rows: int) -> dict:
    out: dict = {}
    try:
        from presidio_analyzer import BatchAnalyzerEngine

        from detectors.presidio import build_analyzer
    except ImportError as exc:
        return {"error": f"presidio not installed ({exc})"}
    analyzer = build_analyzer()
    slice_ = table.slice(0, rows)
    columns = {name: [str(v) if v is not None else "" for v in slice_.column(name).to_pylist()] for name in slice_.column_names}
    cells = rows * len(columns)
    batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
    t0 = time.perf_counter()
    for result in batch.analyze_dict(columns, language="zh", batch_size=1000):  # lazy: consume it all
        for _ in result.recognizer_results:
            pass
    out["batch"] = cells / (time.perf_counter() - t0)
    try:
        import pandas as pd
        from presidio_structured import PandasAnalysisBuilder
    except ImportError as exc:
        out["structured_error"] = f"presidio-structured not installed ({exc})"
        return out
    df = pd.DataFrame(columns)
    builder = PandasAnalysisBuilder(analyzer=analyzer)
    t1 = time.perf_counter()
    analysis = builder.generate_analysis(df, language="zh")
    out["structured"] = cells / (time.perf_counter() - t1)
    out["structured_entities"] = dict(analysis.entity_mapping)
    out["cells"] = cells
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--presidio-rows", type=int, default=2000)
    args = parser.parse_args(argv)
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    detectors = builtin_detectors()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.parquet"
        t = time.perf_counter()
        pq.write_table(build_table(args.rows), path)
        print(f"built {args.rows:,} rows x 10 columns in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 1e6:.0f} MB Parquet)")
        classify_column("warm-up", pa.array(["11010519491231002X"] * 10), detectors)
        ours = bench_ours(path, detectors)
    sampled = ours["cells"] / (ours["read"] + ours["classify"])
    full = ours["validated_cells"] / ours["validate"] if ours["validate"] else float("nan")
    print("\ncolumn          entity               confidence  match_rate")
    for name, c in ours["results"].items():
        print(f"{name:15} {str(c.entity):20} {c.confidence:10.2f}  {c.match_rate:10.3f}")
    print(f"\nchujing, one core: read {ours['read']:.2f} s + classify {ours['classify']:.2f} s (sample {SAMPLE:,}/column)")
    print(f"  sampled classification      {sampled:>14,.0f} cells/s of the file")
    print(f"  full-column validation      {full:>14,.0f} cells/s ({ours['validated_cells']:,} cells in {ours['validate']:.2f} s)")
    presidio = bench_presidio(ours["table"], args.presidio_rows)
    if "error" in presidio:
        print(f"\nPresidio: {presidio['error']}")
        return 0
    print(f"\nPresidio on the first {args.presidio_rows:,} rows ({presidio.get('cells', args.presidio_rows * 10):,} cells), our recognizers, blank zh engine:")
    print(f"  BatchAnalyzerEngine         {presidio['batch']:>14,.0f} cells/s   ours sampled / it = {sampled / presidio['batch']:,.0f}x, "
          f"ours full validation / it = {full / presidio['batch']:,.0f}x")
    if "structured" in presidio:
        print(f"  presidio-structured         {presidio['structured']:>14,.0f} cells/s   ours sampled / it = {sampled / presidio['structured']:,.0f}x, "
              f"ours full validation / it = {full / presidio['structured']:,.0f}x")
        print(f"  presidio-structured labels: {presidio['structured_entities']}")
    else:
        print(f"  presidio-structured: {presidio.get('structured_error')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
