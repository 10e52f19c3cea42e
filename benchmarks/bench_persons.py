"""Benchmark: count distinct persons over 10M rows with 3 key columns, exactly.

Each person has a resident ID, a mobile phone and an email. 30% of the persons appear twice:
their first row holds all three keys and the repeat holds a random non-empty subset of them in
another batch, so the repeat links only through the keys it shares (often a single one, across
columns). The expected count is therefore exactly the number of persons generated.

Rows are generated batch by batch (as a reader would hand them over), so the peak RSS is the
counter's, not the generator's.

    .venv/bin/python benchmarks/bench_persons.py                # 10M rows
    .venv/bin/python benchmarks/bench_persons.py --rows 1000000
    .venv/bin/python benchmarks/bench_persons.py --rows 1000000 --ledger   # also record, twice
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scanner.persons.counter import PersonCounter


def _padded(ids: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(ids).cast(pa.string()), width, "0")


def batch_keys(person: np.ndarray, has_id: np.ndarray, has_phone: np.ndarray, has_email: np.ndarray) -> dict[str, pa.Array]:
    def masked(values: pa.Array, keep: np.ndarray) -> pa.Array:
        return pc.if_else(pa.array(keep), values, pa.scalar(None, pa.string()))

    ids = pc.binary_join_element_wise("11010119", _padded(person, 10), "")  # 18 characters
    phones = pc.binary_join_element_wise("13", _padded(person, 9), "")  # 11 digits
    emails = pc.binary_join_element_wise("u", _padded(person, 9), "@example.com", "")
    return {"CN_RESIDENT_ID": masked(ids, has_id), "CN_MOBILE_PHONE": masked(phones, has_phone),
            "EMAIL": masked(emails, has_email)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=256 * 1024)
    parser.add_argument("--repeat-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ledger", action="store_true",
                        help="then record the persons in a fresh ledger and check the year-to-date count")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    n_persons = int(round(args.rows / (1 + args.repeat_share)))
    repeated = rng.choice(n_persons, size=args.rows - n_persons, replace=False)
    person = np.concatenate([np.arange(n_persons), repeated])
    is_first = np.concatenate([np.ones(n_persons, bool), np.zeros(len(repeated), bool)])
    order = rng.permutation(args.rows)
    person, is_first = person[order], is_first[order]
    # Repeats show a random non-empty subset of the three keys.
    subset = rng.integers(1, 8, size=args.rows, dtype=np.uint8)
    subset[is_first] = 7
    del order, repeated

    counter = PersonCounter(dt.date(2026, 6, 1))
    personal = np.ones(args.batch, dtype=bool)
    sensitive_every = 10  # one person in ten has a sensitive row
    t0 = time.perf_counter()
    feed = 0.0
    for start in range(0, args.rows, args.batch):
        stop = min(start + args.batch, args.rows)
        p, s = person[start:stop], subset[start:stop]
        g0 = time.perf_counter()
        keys = batch_keys(p, (s & 1) != 0, (s & 2) != 0, (s & 4) != 0)
        flags = {"personal": personal[: stop - start], "sensitive": (p % sensitive_every) == 0,
                 "entity:CN_RESIDENT_ID": (s & 1) != 0, "entity:CN_MOBILE_PHONE": (s & 2) != 0,
                 "entity:EMAIL": (s & 4) != 0}
        feed += time.perf_counter() - g0
        counter.add_batch(keys, flags, source="bench")
    counts = counter.result()
    elapsed = time.perf_counter() - t0 - feed
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    expected_sensitive = int(np.count_nonzero(np.arange(n_persons) % sensitive_every == 0))
    exact = counts.personal == n_persons and counts.sensitive == expected_sensitive
    print(f"rows            {args.rows:,} in batches of {args.batch:,} (3 key columns, {args.repeat_share:.0%} of persons repeated)")
    print(f"persons         {counts.personal:,} counted, {n_persons:,} expected -> {'exact' if exact else 'WRONG'}")
    print(f"sensitive       {counts.sensitive:,} counted, {expected_sensitive:,} expected")
    print(f"time            {elapsed:.1f} s counting (data generation excluded: {feed:.1f} s)")
    print(f"throughput      {args.rows / elapsed:,.0f} rows/s")
    print(f"peak RSS        {peak_mb:,.0f} MB (whole process, generator included)")
    if args.ledger:
        exact &= _bench_ledger(counter, n_persons)
    return 0 if exact else 1


def _bench_ledger(counter: PersonCounter, n_persons: int) -> bool:
    import os
    import tempfile

    from scanner.persons.ledger import open_ledger

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CHUJING_LEDGER_KEY", os.urandom(32).hex())
        context = {"sector": "other", "scenario": "other", "ruleset": "cac-2024"}
        with open_ledger(os.path.join(tmp, "ledger.sqlite")) as ledger:
            t0 = time.perf_counter()
            first = ledger.record(counter, context, 2026, "first", None, None, [], None)
            t1 = time.perf_counter()
            # The same persons again under another id: linked, so the year still counts them once.
            second = ledger.record(counter, context, 2026, "second", None, None, [], None)
            t2 = time.perf_counter()
        size = os.path.getsize(os.path.join(tmp, "ledger.sqlite"))
    ok = first["personal"] == second["personal"] == n_persons
    print(f"ledger record   {t1 - t0:.1f} s (keyed hashes + one transaction), ledger file {size / 2**20:,.0f} MB")
    print(f"ledger again    {t2 - t1:.1f} s (year to date over 2 transfers: {second['personal']:,} persons "
          f"-> {'exact' if ok else 'WRONG'})")
    print(f"peak RSS        {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB after the ledger")
    return ok


if __name__ == "__main__":
    sys.exit(main())
