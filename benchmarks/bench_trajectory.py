"""A 2,000,000-row vehicle trajectory table: classified from a sample, persons counted over every row.

    .venv/bin/python benchmarks/bench_trajectory.py                  # 2,000,000 rows, 20,000 vehicles
    .venv/bin/python benchmarks/bench_trajectory.py --rows 500000 --vehicles 5000

Writes a Parquet file of GPS fixes (VIN, time, WGS-84 lng/lat, GCJ-02 string, speed), some
vehicles with a single fix, then prints: the time to classify the columns from the scanner's
sample, the time of the full scan (every row: keys, flags, trajectory tally, person count),
the trajectory vehicles found against the truth, and the peak memory.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VIN_VALUES = {**{str(d): d for d in range(10)}, **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
              **dict(zip("JKLMN", range(1, 6), strict=True)), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10), strict=True))}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def make_vins(n: int, rng: np.random.Generator) -> list[str]:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    out = []
    for k in range(n):
        body = "LSV" + "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 5)) + "0" + "P" + "A" + f"{k:06d}"
        r = sum(VIN_VALUES[c] * w for c, w in zip(body, VIN_WEIGHTS, strict=True)) % 11
        out.append(body[:8] + ("X" if r == 10 else str(r)) + body[9:])
    return out


def write_table(path: Path, rows: int, vehicles: int, single: int, seed: int = 7) -> int:
    """Write the table; returns the number of vehicles with 2+ fixes (the truth)."""
    rng = np.random.default_rng(seed)
    vins = np.array(make_vins(vehicles, rng))
    per = np.full(vehicles, 1, dtype=np.int64)
    multi = vehicles - single
    per[:multi] = (rows - single) // multi
    per[: (rows - single) - per[:multi].sum()] += 1
    owner = np.repeat(np.arange(vehicles), per)
    step = np.concatenate([np.arange(k) for k in per])
    start = rng.integers(0, 86400 * 20, vehicles)
    seconds = start[owner] + 30 * step
    order = np.argsort(seconds, kind="stable")  # by time, vehicles interleaved
    owner, seconds, step = owner[order], seconds[order], step[order]
    lng0 = rng.uniform(113.0, 121.5, vehicles)
    lat0 = rng.uniform(22.5, 40.0, vehicles)
    lng = np.round(lng0[owner] + 0.0004 * step + rng.normal(0, 0.00005, len(owner)), 6)
    lat = np.round(lat0[owner] + 0.0003 * step + rng.normal(0, 0.00005, len(owner)), 6)
    batch = 250_000
    writer = None
    for i in range(0, len(owner), batch):
        sl = slice(i, i + batch)
        table = pa.table({
            "vin": pa.array(vins[owner[sl]]),
            "gps_time": pa.array((seconds[sl] + 1_793_000_000).astype("datetime64[s]")),
            "lng": pa.array(lng[sl]), "lat": pa.array(lat[sl]),
            "speed_kmh": pa.array(np.round(rng.uniform(0, 120, len(owner[sl])), 1)),
        })
        writer = writer or pq.ParquetWriter(path, table.schema, compression="snappy")
        writer.write_table(table, row_group_size=100_000)
    writer.close()
    return multi


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--single", type=int, default=500, help="vehicles with one fix only (no trajectory)")
    args = parser.parse_args(argv)

    from detectors.classify import classify_column
    from detectors.registry import builtin_detectors
    from scanner.engines.local import scan
    from scanner.options import DEFAULT_SAMPLE_ROWS, ScanOptions
    from scanner.sources.files import discover
    from scanner.sources.sample import read_sample

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tracks.parquet"
        t0 = time.perf_counter()
        truth = write_table(path, args.rows, args.vehicles, args.single)
        size = path.stat().st_size
        print(f"table: {args.rows:,} rows, {args.vehicles:,} vehicles ({truth:,} with a trajectory), "
              f"{size / 1e6:.1f} MB Parquet, written in {time.perf_counter() - t0:.1f} s")
        rss0 = peak_rss_mb()

        t0 = time.perf_counter()
        sources, _ = discover([str(path)])
        sample, meta = read_sample(sources[0], ScanOptions())
        detectors = builtin_detectors()
        labels = {f.name: classify_column(f.name, sample.column(f.name), detectors).entity for f in meta.schema}
        classify_s = time.perf_counter() - t0
        print(f"classify (sample of {sample.num_rows:,} rows, default {DEFAULT_SAMPLE_ROWS:,}): {classify_s:.2f} s  {labels}")

        t0 = time.perf_counter()
        report = scan([str(path)], sector="automotive", scenario="vehicle_rd")
        full_s = time.perf_counter() - t0
        tables = [t for f in report.files for t in (f.tables or []) if t.get("kind") == "trajectory"]
        found = tables[0]["persons"] if tables else None
        print(f"full scan (every row): {full_s:.2f} s, {args.rows / full_s:,.0f} rows/s")
        print(f"trajectory vehicles: {found:,} (truth {truth:,}) {'exact' if found == truth else 'MISMATCH'}; "
              f"persons {report.persons.personal:,}, sensitive {report.persons.sensitive:,}")
        print(f"peak RSS: {peak_rss_mb():.0f} MB (before the scan {rss0:.0f} MB)")
    return 0 if found == truth else 1


if __name__ == "__main__":
    sys.exit(main())
