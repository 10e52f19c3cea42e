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
from scanner.persons.linking import placeholder_mask


def _padded(ids: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(ids).cast(pa.string()), width, "0")


def batch_keys(person: np.ndarray, has_id: np.ndarray, has_phone: np.ndarray, has_email: np.ndarray) -> dict[str, pa.Array]:
    def masked(values: pa.Array, keep: np.ndarray) -> pa.Array:
        return pc.if_else(pa.array(keep), values, pa.scalar(None, pa.string()))

    ids = pc.binary_join_element_wise("11010119", _padded(person, 10), "")  # 18 characters
    phones = pc.binary_join_element_wise("13", _padded(person, 9), "")  # 11 digits
    emails = pc.binary_join_element_wise("u", _padded(person, 9), "@corp.cn", "")  # example.com names nobody
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
    # A repeat holding only its phone, where that phone is a placeholder (13000000000,
    # 13012345678...), holds no key: a person of its own under the default policy.
    alone = np.flatnonzero(~is_first & (subset == 2))
    fake = placeholder_mask(batch_keys(person[alone], *(np.ones(len(alone), bool),) * 3)["CN_MOBILE_PHONE"])
    n_persons += int(fake.sum())
    expected_sensitive += int(np.count_nonzero(person[alone[fake]] % sensitive_every == 0))
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

    def timed(work):
        wall, cpu = time.perf_counter(), time.process_time()
        out = work()
        return out, time.perf_counter() - wall, time.process_time() - cpu

    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CHUJING_LEDGER_KEY", os.urandom(32).hex())
        context = {"sector": "other", "scenario": "other", "ruleset": "cac-2024"}
        with open_ledger(os.path.join(tmp, "ledger.sqlite")) as ledger:
            table, table_wall, table_cpu = timed(lambda: counter.person_table(ledger.hash_keys))
            # Without an id: the default one, a digest of every key hash in byte order.
            first, first_wall, first_cpu = timed(lambda: ledger.record(counter, context, 2026, None, None, None, [], None))
            # The same persons again under another id: linked, so the year still counts them once.
            second, second_wall, _ = timed(lambda: ledger.record(counter, context, 2026, "second", None, None, [], None))
        size = os.path.getsize(os.path.join(tmp, "ledger.sqlite"))
    # Rows without a key cannot be linked across transfers: each counts again in the second.
    keyless = counter.result().keyless_rows
    ok = first["personal"] == n_persons and second["personal"] == n_persons + keyless
    print(f"person table    {table_wall:.1f} s ({table_cpu:.1f} s of CPU): {len(table.key_hash):,} keys hashed, "
          f"{table.n_persons:,} pieces")
    print(f"ledger record   {first_wall:.1f} s ({first_cpu:.1f} s of CPU: the person table, the default transfer id "
          f"and one transaction), ledger file {size / 2**20:,.0f} MB")
    print(f"ledger again    {second_wall:.1f} s (year to date over 2 transfers: {second['personal']:,} persons "
          f"-> {'exact' if ok else 'WRONG'})")
    print(f"peak RSS        {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB after the ledger")
    print(f"load average    {os.getloadavg()[0]:.1f} (the machine is shared: compare figures of one run)")
    return ok

if __name__ == "__main__":
    sys.exit(main())
