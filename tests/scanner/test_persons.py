"""Distinct natural persons: linking within and across columns, batches and files."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.persons.counter import (
    HASH_BYTES,
    IGNORE_KEYLESS,
    PersonCounter,
    join_keys,
    split_keys,
    union_counts,
)
from scanner.persons.linking import placeholder_mask

SCAN_DATE = dt.date(2026, 6, 1)
ID_A = "11010519491231002X"  # the standard's own example
ID_B = "110105201501010018"  # born 2015: under 14 on the scan date
PHONE_A, PHONE_B, PHONE_C = "13912340001", "13912340002", "13712340003"


def add(counter: PersonCounter, subject: str | None = None, sensitive=None, entities=None, personal=None,
        birth_dates=None, **columns: list) -> None:
    n = len(next(iter(columns.values())))
    keys = {name.replace("__", "#"): pa.array(values, pa.string()) for name, values in columns.items()}
    flags = {"personal": np.ones(n, bool) if personal is None else np.array(personal, bool)}
    if sensitive is not None:
        flags["sensitive"] = np.array(sensitive, bool)
    for entity, rows in (entities or {}).items():
        flags[f"entity:{entity}"] = np.array(rows, bool)
    dates = None if birth_dates is None else pa.array(birth_dates, pa.date32())
    counter.add_batch(keys, flags, birth_dates=dates, subject=subject, source="test.csv")


def identity_hasher(namespace: str, keys: pa.Array) -> np.ndarray:
    """A stand-in for the ledger's keyed hash: injective on short test keys."""
    out = np.zeros((len(keys), HASH_BYTES), np.uint8)
    for i, k in enumerate(keys.to_pylist()):
        raw = f"{namespace[:2]}{k}".encode()[-HASH_BYTES:]
        out[i, : len(raw)] = np.frombuffer(raw, np.uint8)
    return out


def test_transitive_links_across_columns_within_a_file():
    # phone A + ID B, phone A only, ID B + phone C: one person.
    c = PersonCounter(SCAN_DATE)
    add(c, CN_MOBILE_PHONE=[PHONE_A, PHONE_A, PHONE_C], CN_RESIDENT_ID=[ID_A, None, ID_A])
    assert c.result().personal == 1


def test_links_across_batches_and_files_and_repeated_columns():
    c = PersonCounter(SCAN_DATE)
    add(c, CN_MOBILE_PHONE=[PHONE_A, PHONE_B], EMAIL=["a@example.cn", None])
    # another file: phone B is in a second phone column ("#2") beside A's email: A and B are one
    add(c, CN_MOBILE_PHONE=[None, None], CN_MOBILE_PHONE__2=[PHONE_B, PHONE_C], EMAIL=["a@example.cn", None])
    assert c.result().personal == 2  # {A, email, B}, {C}


def test_namespaces_do_not_link_equal_strings():
    c = PersonCounter(SCAN_DATE)
    add(c, CN_MOBILE_PHONE=[PHONE_A, None], **{"user:member_id": [None, PHONE_A]})
    assert c.result().personal == 2


def test_keyless_rows_policy():
    columns = dict(CN_MOBILE_PHONE=[PHONE_A, None, None, PHONE_A])
    each = PersonCounter(SCAN_DATE)
    add(each, **columns)
    r = each.result()
    assert (r.personal, r.keyless_rows, r.keyless_policy) == (3, 2, "each_row_is_a_person")
    ignore = PersonCounter(SCAN_DATE, keyless_policy=IGNORE_KEYLESS)
    add(ignore, **columns)
    r = ignore.result()
    assert (r.personal, r.keyless_rows, r.keyless_policy) == (1, 2, IGNORE_KEYLESS)
    with pytest.raises(ValueError, match="keyless policy"):
        PersonCounter(SCAN_DATE, keyless_policy="guess")


def test_rows_without_personal_data_are_ignored():
    c = PersonCounter(SCAN_DATE)
    add(c, personal=[True, False, False], CN_MOBILE_PHONE=[PHONE_A, PHONE_B, None])
    r = c.result()
    assert (r.personal, r.rows) == (1, 1)


def test_sensitive_when_any_row_is_and_by_entity():
    c = PersonCounter(SCAN_DATE)
    add(c, CN_MOBILE_PHONE=[PHONE_A, PHONE_A, PHONE_B], sensitive=[False, True, False],
        entities={"CN_MOBILE_PHONE": [True, True, True], "MEDICAL": [False, True, False]})
    r = c.result()
    assert (r.personal, r.sensitive) == (2, 1)
    assert r.by_entity == {"CN_MOBILE_PHONE": 2, "MEDICAL": 1}


def test_minors_from_the_id_number_and_from_a_birth_date_column():
    c = PersonCounter(SCAN_DATE)
    add(c, CN_RESIDENT_ID=[ID_A, ID_B, None, None, None], CN_MOBILE_PHONE=[None, None, PHONE_A, PHONE_B, PHONE_C],
        birth_dates=[None, None, dt.date(2012, 6, 2), dt.date(2012, 6, 1), dt.date(2030, 1, 1)])
    r = c.result()
    # ID_B (2015) and the one born 2012-06-02 are under 14 on 2026-06-01; 2012-06-01 turned 14
    # that day; a birth date after the scan date is an error, not a child.
    assert (r.minors, r.sensitive) == (2, 2)


def test_by_subject_counts_each_role_on_its_own_rows():
    c = PersonCounter(SCAN_DATE)
    add(c, subject="patient", CN_MOBILE_PHONE=[PHONE_A, PHONE_B], sensitive=[True, False],
        entities={"MEDICAL": [True, False]})
    add(c, subject="hcp", CN_MOBILE_PHONE=[PHONE_A, PHONE_C], sensitive=[False, False])
    add(c, CN_MOBILE_PHONE=[PHONE_C])
    r = c.result()
    assert r.personal == 3 and r.sensitive == 1
    assert r.by_subject["patient"] == {"personal": 2, "sensitive": 1, "by_entity": {"MEDICAL": 1}}
    assert r.by_subject["hcp"] == {"personal": 2, "sensitive": 0, "by_entity": {"MEDICAL": 0}}


def test_empty_counter():
    r = PersonCounter(SCAN_DATE).result()
    assert (r.personal, r.sensitive, r.keyless_rows) == (0, 0, 0)


def test_batches_after_a_result_are_counted():
    c = PersonCounter(SCAN_DATE)
    add(c, CN_MOBILE_PHONE=[PHONE_A])
    assert c.result().personal == 1
    add(c, CN_MOBILE_PHONE=[PHONE_B, PHONE_A])
    assert c.result().personal == 2


def test_mismatched_lengths_are_refused():
    c = PersonCounter(SCAN_DATE)
    with pytest.raises(ValueError, match="expected 2"):
        c.add_batch({"EMAIL": pa.array(["a@b.cn"])}, {"personal": np.ones(2, bool)})


def test_person_table_round_trips_through_union_counts():
    c = PersonCounter(SCAN_DATE)
    add(c, subject="patient", CN_MOBILE_PHONE=[PHONE_A, PHONE_B, None], CN_RESIDENT_ID=[ID_B, None, None],
        sensitive=[False, True, False], entities={"MEDICAL": [False, True, False]})
    add(c, subject="hcp", EMAIL=["x@example.cn", "y@example.cn"])
    table = c.person_table(identity_hasher)
    direct = c.result()
    linked = union_counts([table])
    for field in ("personal", "sensitive", "minors", "by_entity", "by_subject"):
        assert getattr(linked, field) == getattr(direct, field), field
    # The same persons sent twice are the same persons, except a row without a key, which
    # nothing can link again.
    twice = union_counts([table, table])
    assert direct.keyless_rows == 1
    assert (twice.personal, twice.sensitive) == (direct.personal + 1, direct.sensitive)


def test_union_links_persons_across_tables():
    first, second = PersonCounter(SCAN_DATE), PersonCounter(SCAN_DATE)
    add(first, CN_MOBILE_PHONE=[PHONE_A, PHONE_B])
    add(second, CN_MOBILE_PHONE=[PHONE_B, PHONE_C], CN_RESIDENT_ID=[None, ID_A], sensitive=[True, False])
    r = union_counts([first.person_table(identity_hasher), second.person_table(identity_hasher)])
    assert (r.personal, r.sensitive) == (3, 1)


@settings(deadline=None)  # a loaded machine took 491 ms for one example (29 ms again at once)
@given(st.lists(st.one_of(st.from_regex(r"[0-9]{1,21}", fullmatch=True),
                          st.from_regex(r"[0-9]{17}X", fullmatch=True),
                          st.text(min_size=1, max_size=25),
                          st.sampled_from(["a", "a\x00", "\x00", "\x00a", "9" * 19, "9" * 20, "0" * 19, "@qq.com", "a@qq.com",
                                           "a@vip.qq.com", "é@qq.com", "a@QQ.com", "a@qq.com.cn"])), max_size=30))
def test_keys_split_into_fixed_width_spaces_exactly_and_reversibly(keys):
    seen: dict[str, tuple] = {}
    for space, positions, values in split_keys(pa.array(keys, pa.string())):
        assert join_keys(space, values).to_pylist() == [keys[i] for i in positions]
        for i, value in zip(positions.tolist(), values.tolist(), strict=True):
            seen[keys[i]] = (space, value)
    assert set(seen) == set(keys)
    # two different keys never share a space and a value
    assert len(set(seen.values())) == len(seen)


@settings(deadline=None)
@given(st.integers(1, 21).flatmap(lambda w: st.lists(st.from_regex(rf"[0-9]{{{w}}}", fullmatch=True), min_size=1,
                                                       max_size=30)),
       st.integers(0, 5))
def test_keys_of_one_width_of_digits_take_one_space_as_numbers(keys, cut):
    """The fast path of a column of ID numbers or phones (every key digits of one width, read
    in place), also on a slice of an array: one space whose values are the numbers, as the
    general path makes them; 20 digits and more are no number (the general path's bytes)."""
    for array in (pa.array(keys, pa.string()), pa.array(["x"] * cut + keys, pa.string()).slice(cut)):
        groups = split_keys(array)
        assert [join_keys(space, values).to_pylist()[k] for space, positions, values in groups
                for k, _ in enumerate(positions)] == [keys[i] for _, positions, _ in groups for i in positions]
        if len(keys[0]) <= 19:
            assert [(space, positions.tolist(), values.tolist()) for space, positions, values in groups] == \
                [(("d", len(keys[0])), list(range(len(keys))), [int(k) for k in keys])]
        else:
            assert all(space[0] == "s" for space, _, _ in groups)


@settings(deadline=None)
@given(st.lists(st.from_regex(r"[0-9]{17}[0-9X]", fullmatch=True), min_size=1, max_size=30), st.integers(0, 5))
def test_id_numbers_some_ending_in_x_split_as_the_general_path_splits_them(keys, cut):
    expected = []
    digits = [i for i, k in enumerate(keys) if not k.endswith("X")]
    with_x = [i for i, k in enumerate(keys) if k.endswith("X")]
    if digits:
        expected.append((("d", 18), digits, [int(keys[i]) for i in digits]))
    if with_x:
        expected.append((("x", 18), with_x, [int(keys[i][:17]) for i in with_x]))
    for array in (pa.array(keys, pa.string()), pa.array(["x"] * cut + keys, pa.string()).slice(cut)):
        got = [(space, positions.tolist(), values.tolist()) for space, positions, values in split_keys(array)]
        assert got == expected
        # the same keys among others (the general path) split alike
        mixed = [(space, positions.tolist(), values.tolist())
                 for space, positions, values in split_keys(pa.array(keys + ["a@b.cn"], pa.string()))]
        assert [m for m in mixed if m[0][0] != "s"] == expected


def test_several_documents_of_one_kind_on_a_row_are_several_persons():
    """A policy row names a policyholder, an insured and a beneficiary by their ID numbers: three
    persons (found by a tester: each row counted one). The same number in two columns is one;
    a child's number makes only the child a minor; the row's phone stays with the first."""
    c = PersonCounter(SCAN_DATE, identity=frozenset({"CN_RESIDENT_ID"}))
    add(c, CN_RESIDENT_ID=[ID_A, ID_A, None], CN_RESIDENT_ID__2=[ID_B, ID_A, ID_B],
        CN_RESIDENT_ID__3=[None, None, "110105197001010010"], CN_MOBILE_PHONE=[PHONE_A, None, PHONE_B],
        sensitive=[True, True, True], entities={"CN_RESIDENT_ID": [True, True, True]})
    r = c.result()
    # persons: ID_A (rows 0 and 1), ID_B (rows 0 and 2), the third number (row 2)
    assert (r.personal, r.sensitive, r.minors) == (3, 3, 1)
    assert r.by_entity["CN_RESIDENT_ID"] == 3
    assert union_counts([c.person_table(identity_hasher)]).personal == 3


def _reference_count(rows: list[dict[str, str | None]], identity: frozenset[str] = frozenset(),
                     max_identities: int = 3) -> int:
    """The linking rules written plainly, one Python loop at a time, to check the vectorised
    counter: placeholders are no keys; identity keys always link; a contact held by more than
    ``max_identities`` identity groups links nothing; within a cluster of contacts holding two
    values of one identity kind, identities are not linked through contacts."""

    class UnionFind:
        def __init__(self) -> None:
            self.parent: dict = {}

        def find(self, x):
            self.parent.setdefault(x, x)
            while self.parent[x] != x:
                self.parent[x] = self.parent[self.parent[x]]
                x = self.parent[x]
            return x

        def union(self, a, b) -> None:
            self.parent[self.find(a)] = self.find(b)

    # Columns in name order, as the counters below are given them (a namespace's plain column first).
    ordered = [[(ns.split("#")[0], k) for ns, k in sorted(row.items()) if k is not None and k != ""] for row in rows]
    values = sorted({k for row in ordered for _, k in row})
    fake = dict(zip(values, placeholder_mask(pa.array(values, pa.string())).tolist(), strict=True)) if values else {}
    # A row's second (third...) document of one identity kind is a person's row of its own.
    keys = []
    for row in ordered:
        own, documents = set(), []
        for ns, k in row:
            if fake[k]:
                continue
            if ns in identity and any(ns == held for held, _ in own):
                documents.append({(ns, k)})
            else:
                own.add((ns, k))
        keys += [own, *documents]
    ids = UnionFind()
    for i, row in enumerate(keys):
        ids.find(("row", i))
        for ns, k in row:
            if ns in identity:
                ids.union(("row", i), ("key", ns, k))
    root = [ids.find(("row", i)) for i in range(len(keys))]
    kinds: dict = {}
    for i, row in enumerate(keys):
        for ns, _ in row:
            if ns in identity:
                kinds.setdefault(root[i], set()).add(ns)
    holders: dict = {}
    for i, row in enumerate(keys):
        for ns, k in row:
            if ns not in identity:
                holders.setdefault((ns, k), set()).add(root[i])
    linking = {c: h for c, h in holders.items() if len([r for r in h if r in kinds]) <= max_identities}
    clusters = UnionFind()
    for c, h in linking.items():
        for r in h:
            clusters.union(r, ("contact", c))
    kind_roots: dict = {}
    for r, ks in kinds.items():
        for ns in ks:
            kind_roots.setdefault((clusters.find(r), ns), set()).add(r)
    conflicted = {cluster for (cluster, _), rs in kind_roots.items() if len(rs) >= 2}
    final = UnionFind()
    for c, h in linking.items():
        for r in h:
            if not (r in kinds and clusters.find(r) in conflicted):
                final.union(r, ("contact", c))
    keyed = [i for i, row in enumerate(keys) if row]
    return len({final.find(root[i]) for i in keyed}) + (len(keys) - len(keyed))


KEY = st.one_of(st.none(), st.sampled_from(["1", "2", "3", "007", "07", "a", "b", "a\x00", "\x00", "13800138000",
                                             "9" * 19, "9" * 20, "11010519491231002X", "电话", "a@qq.com", "@qq.com",
                                             "é@qq.com"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(KEY, KEY, KEY), min_size=1, max_size=12), min_size=1, max_size=8))
def test_counts_match_a_plain_union_find(batches):
    c = PersonCounter(SCAN_DATE)
    rows = []
    for batch in batches:
        columns = {"CN_MOBILE_PHONE": [r[0] for r in batch], "CN_MOBILE_PHONE#2": [r[1] for r in batch],
                   "EMAIL": [r[2] for r in batch]}
        c.add_batch({k: pa.array(v, pa.string()) for k, v in columns.items()}, {"personal": np.ones(len(batch), bool)})
        rows += [dict(zip(columns, r, strict=True)) for r in batch]
    assert c.result().personal == _reference_count(rows)


def test_many_batches_with_small_runs_and_slices_match_the_reference(monkeypatch):
    """Sorted runs that stop growing, labels pointed at roots a slice at a time, unions over
    many batches: the same persons as a plain union-find, and the same again through the
    hashed person table."""
    import scanner.persons.counter as persons

    monkeypatch.setattr(persons, "RUN_KEYS", 16)
    monkeypatch.setattr(persons, "_SLICE", 7)
    rng = np.random.default_rng(7)
    vocab = np.array([f"{n:011d}" for n in rng.integers(0, 10**11, 400)] + ["a@qq.com", "b@qq.com", "ab@163.com"],
                     dtype=object)
    c = PersonCounter(SCAN_DATE)
    rows = []
    for _ in range(60):
        m = int(rng.integers(1, 40))
        columns = {}
        for name in ("CN_MOBILE_PHONE", "CN_MOBILE_PHONE#2", "EMAIL"):
            values = vocab[rng.integers(0, len(vocab), m)]
            values[rng.random(m) < 0.5] = None
            columns[name] = list(values)
        c.add_batch({k: pa.array(v, pa.string()) for k, v in columns.items()}, {"personal": np.ones(m, bool)})
        rows += [dict(zip(columns, r, strict=True)) for r in zip(*columns.values(), strict=True)]
    expected = _reference_count(rows)
    assert c.result().personal == expected
    assert union_counts([c.person_table(identity_hasher)]).personal == expected


# -- identities, contacts, shared contacts: the rules against the plain reference ------------------

IDS = ["11010519491231002X", "110105194912310037", "440305197212018141", "320102198001010016", None, None]
CONTACTS = ["13912340001", "13912340002", "13800138000", "13712340003", "a@b.cn", "noreply@x.com", None, None]
PASSPORTS = ["E12345678", "G87654321", None, None, None]
IDENTITY = frozenset({"CN_RESIDENT_ID", "CN_PASSPORT"})


def _counter_over(rows: list[dict], cut: list[int], **kwargs) -> PersonCounter:
    c = PersonCounter(SCAN_DATE, identity=IDENTITY, **kwargs)
    bounds = [0, *sorted(set(cut)), len(rows)]
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        part = rows[lo:hi]
        if not part:
            continue
        columns = {name: [r[name] for r in part] for name in sorted(part[0])}
        c.add_batch({k: pa.array(v, pa.string()) for k, v in columns.items()}, {"personal": np.ones(len(part), bool)})
    return c


ROW = st.fixed_dictionaries({"CN_RESIDENT_ID": st.sampled_from(IDS), "CN_PASSPORT": st.sampled_from(PASSPORTS),
                             "CN_MOBILE_PHONE": st.sampled_from(CONTACTS), "EMAIL": st.sampled_from(CONTACTS),
                             "user:微信号": st.sampled_from(["wx_a", "wx_b", None]),
                             "CN_RESIDENT_ID#2": st.sampled_from(IDS[:2] + [None] * 4)})


@settings(max_examples=150, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=30), st.lists(st.integers(0, 30), max_size=5),
       st.integers(1, 4), st.randoms(use_true_random=False))
def test_rules_match_the_plain_reference_in_any_order_and_split(rows, cut, max_identities, rnd):
    """The same rows in any order, split into any batches (files), give the same persons, and
    those of the rules written plainly."""
    expected = _reference_count(rows, IDENTITY, max_identities)
    assert _counter_over(rows, cut, max_identities=max_identities).result().personal == expected
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    other_cut = [rnd.randrange(len(rows) + 1) for _ in range(rnd.randrange(4))]
    counter = _counter_over(shuffled, other_cut, max_identities=max_identities)
    assert counter.result().personal == expected
    # The ledger's union of the hashed table links the same way.
    assert union_counts([counter.person_table(identity_hasher)], max_identities=max_identities).personal == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, min_size=2, max_size=30), st.integers(1, 29))
def test_two_transfers_in_the_ledger_link_as_one_scan(rows, at):
    """Persons of two tables (two transfers) united give what one scan of both gives, but for
    one documented corner: rows without identity that a contact linked within one transfer stay
    one piece when that contact becomes shared only in the union (never more persons, then)."""
    at = min(at, len(rows) - 1)
    first, second = _counter_over(rows[:at], []), _counter_over(rows[at:], [])
    together = union_counts([first.person_table(identity_hasher), second.person_table(identity_hasher)])
    expected = _reference_count(rows, IDENTITY)
    if _counter_over(rows, []).result().linking["shared_contacts_total"] == 0:
        assert together.personal == expected
    else:
        assert together.personal <= expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.sampled_from(["13800138000", "13912345678", "13900000000", "0000", "000", "1111", "123456", "012345",
                     "9876543210", "12345678901", "noreply@qq.com", "test@163.com", "tester@qq.com", "NOREPLY@QQ.COM",
                     "li@example.com", "a@b.test", "x@qq.com", "E12345678", "ffffffffffff", "W0000", "00:00:00:00:00:00"]),
    st.from_regex(r"[0-9]{1,19}", fullmatch=True), st.from_regex(r"[a-z0-9._-]{1,12}@(qq\.com|163\.com|corp\.cn)", fullmatch=True)),
    min_size=1, max_size=30))
def test_placeholders_on_fixed_width_keys_match_the_pattern(values):
    """The counter decides placeholders on the keys' fixed-width form; the pattern is the
    definition: both agree on every key."""
    from scanner.persons.counter import _placeholders

    keys = pa.array(values, pa.string())
    assert _placeholders(keys, split_keys(keys), pa.array([], pa.string())).tolist() == placeholder_mask(keys).tolist()


def test_a_fold_of_two_spaces_at_a_time_counts_what_one_at_a_time_counts(monkeypatch):
    """The fold works two key spaces at a time in threads when they are large: the persons, the
    linking (contact codes included) and the person table are those of one space after another."""
    import random

    import scanner.persons.counter as counter_module

    def ids(r: random.Random, n: int) -> list:
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        out = []
        for _ in range(n):
            body = f"310104{r.randint(1950, 2020)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 999):03d}"
            out.append(body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11])
        return out

    def count(pair_keys: int):
        monkeypatch.setattr(counter_module, "_PAIR_KEYS", pair_keys)
        monkeypatch.setattr(counter_module, "_COMPACT_AT", 700)  # several folds
        r = random.Random(3)
        people = ids(r, 900)
        phones = [f"13{r.randint(5, 9)}{r.randrange(10**8):08d}" for _ in range(700)] + ["13800138000"] * 3
        c = PersonCounter(SCAN_DATE, identity={"CN_RESIDENT_ID"}, max_identities=2)
        for _ in range(6):
            n = 400
            add(c, CN_RESIDENT_ID=[r.choice(people) if r.random() < 0.8 else None for _ in range(n)],
                CN_MOBILE_PHONE=[r.choice(phones) if r.random() < 0.7 else None for _ in range(n)],
                EMAIL=[f"u{r.randrange(500)}@{r.choice(['qq.com', 'corp.cn', '163.com'])}" if r.random() < 0.5
                       else None for _ in range(n)])
        table = c.person_table(identity_hasher)
        return (c.result().to_dict(), c.linking_report(), table.key_hash.tobytes(), table.key_person.tobytes(),
                table.facet_person.tobytes())

    one_at_a_time = count(1 << 62)
    two_at_a_time = count(1)
    assert two_at_a_time == one_at_a_time
    assert one_at_a_time[0]["personal"] > 100 and one_at_a_time[1]["contact_merges"] > 0
