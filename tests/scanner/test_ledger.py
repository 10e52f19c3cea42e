"""The year-to-date ledger, on real SQLite files and real processes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner

from scanner.cli.ledger import ledger_group
from scanner.persons import keyed_hash
from scanner.persons import ledger as ledger_mod
from scanner.persons.counter import HASH_BYTES, PersonCounter
from scanner.persons.ledger import LedgerError, open_ledger

SCAN_DATE = dt.date(2026, 6, 1)
TRIAL = {"sector": "pharmaceutical", "scenario": "clinical_trial", "subject": "trial_subject",
         "ruleset": "beijing-ftz-2024"}
ID_A = "11010519491231002X"
PHONE_A, PHONE_B, PHONE_C, PHONE_D = "13912340001", "13912340002", "13712340003", "13612340004"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch) -> Path:
    """Every test gets its own key file: nothing touches the user's config directory."""
    path = tmp_path / "keys" / "ledger.key"
    monkeypatch.delenv(ledger_mod.KEY_ENV, raising=False)
    monkeypatch.setenv(ledger_mod.KEY_FILE_ENV, str(path))
    return path


@pytest.fixture
def ledger_path(tmp_path) -> Path:
    return tmp_path / "data" / "ledger.sqlite"


def counter(phones: list, ids: list | None = None, sensitive: list | None = None, subject: str | None = "trial_subject"):
    c = PersonCounter(SCAN_DATE)
    keys = {"CN_MOBILE_PHONE": pa.array(phones, pa.string())}
    if ids is not None:
        keys["CN_RESIDENT_ID"] = pa.array(ids, pa.string())
    flags = {"personal": np.ones(len(phones), bool)}
    if sensitive is not None:
        flags["sensitive"] = np.array(sensitive, bool)
    c.add_batch(keys, flags, subject=subject, source="t.csv")
    return c


def record(lg, c, transfer_id=None, year=2026, context=TRIAL, exempt=None, files=None):
    return lg.record(c, context, year, transfer_id, "Acme GmbH", "trial analysis", files or [], exempt)


def n_transfers(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM transfers").fetchone()[0]


# -- counting over the year --------------------------------------------------------------------


def test_persons_link_across_transfers(ledger_path):
    with open_ledger(ledger_path) as lg:
        feb = record(lg, counter([PHONE_A, PHONE_B], [None, ID_A], [False, True]), "feb")
        assert (feb["personal"], feb["sensitive"], feb["transfers"]) == (2, 1, 1)
        # May: phone A now comes with ID A, which links February's two rows into one person.
        may = record(lg, counter([PHONE_A, PHONE_C], [ID_A, None]), "may")
        assert (may["personal"], may["sensitive"], may["transfers"]) == (2, 1, 2)
        assert may["by_subject"]["trial_subject"] == {"personal": 2, "sensitive": 1, "by_entity": {}}
        assert may["already_recorded"] is False and may["transfer_id"] == "may"


def test_year_to_date_reads_and_writes_nothing(ledger_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A, PHONE_B]), "feb")
    before = ledger_path.read_bytes()
    with open_ledger(ledger_path) as lg:
        ytd = lg.year_to_date(counter([PHONE_B, PHONE_C]), TRIAL, 2026)
    assert (ytd["personal"], ytd["transfers"], ytd["this_transfer_counted"]) == (3, 2, True)
    assert ledger_path.read_bytes() == before


def test_the_year_boundary(ledger_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A, PHONE_B, PHONE_C]), "dec-2025", year=2025)
        ytd = lg.year_to_date(counter([PHONE_A]), TRIAL, 2026)
        assert (ytd["personal"], ytd["transfers"]) == (1, 1)  # last year's ledger counts nothing
        assert lg.status(2025)["contexts"][0]["personal"] == 3
        assert lg.status(2026)["contexts"] == []


def test_rerecording_the_same_transfer_changes_nothing(ledger_path):
    with open_ledger(ledger_path) as lg:
        first = record(lg, counter([PHONE_A, PHONE_B]), "T-1")
        again = record(lg, counter([PHONE_B, PHONE_A]), "T-1")
        assert again["already_recorded"] is True and again["personal"] == first["personal"] == 2
        assert again["transfers"] == 1
        # Other persons under the same id are another transfer: refused, never silently dropped.
        with pytest.raises(LedgerError, match="T-1 is already recorded with other files or persons"):
            record(lg, counter([PHONE_A, PHONE_B, PHONE_C]), "T-1")
        # Without an id, the same export in the same context gets the same id.
        a = record(lg, counter([PHONE_D]), files=[{"path": "x.csv", "size": 10, "fingerprint": "ab", "rows": 1}])
        b = record(lg, counter([PHONE_D]), files=[{"path": "x.csv", "size": 10, "fingerprint": "ab", "rows": 1}])
        assert a["transfer_id"] == b["transfer_id"] and b["already_recorded"] is True
        # Files whose content could not be fingerprinted (a lake URL, an unreadable file) compare too.
        lake = [{"path": f"s3://b/{n}.parquet", "size": 10, "fingerprint": f, "rows": 1} for n, f in (("x", None), ("y", "ab"))]
        record(lg, counter([PHONE_C]), "L-1", files=lake)
        assert record(lg, counter([PHONE_C]), "L-1", files=lake)["already_recorded"] is True
    assert n_transfers(ledger_path) == 3


def shared_phone_transfer() -> PersonCounter:
    """Seven ID numbers on one phone (a shared contact: its hash is kept once per holder) and a
    phone-only row."""
    ids = ["11010519491231002X", "110105194912310037", "110105194912310053", "110105194912310045",
           "110105194912310061", "11010519491231007X", "110105194912310088", None]
    c = PersonCounter(SCAN_DATE, identity={"CN_RESIDENT_ID"})
    c.add_batch({"CN_MOBILE_PHONE": pa.array([PHONE_A] * 7 + [PHONE_B]), "CN_RESIDENT_ID": pa.array(ids)},
                {"personal": np.ones(8, bool)}, subject="trial_subject")
    return c


def expected_transfer_id(c: PersonCounter, hashes: np.ndarray, scheme: str) -> str:
    """The default transfer id computed the plain way: the context and files, then the key hashes
    (their number and sum as 128-bit integers, or every hash in byte order by numpy's sort),
    then the counts."""
    h = hashlib.blake2b(key=bytes.fromhex("5a" * 32), digest_size=8, person=b"chujing.transfer")
    h.update(json.dumps([2026, TRIAL["sector"], TRIAL["scenario"], TRIAL["subject"],
                         [["x.csv", 10, "ab", 8]]], sort_keys=True).encode())
    items = np.ascontiguousarray(hashes).view(np.dtype(f"V{HASH_BYTES}")).ravel()
    if scheme == "hash-sum":
        total = sum(int.from_bytes(item.tobytes(), "little") for item in items) % 2**128
        h.update(b"key hash sum" + len(items).to_bytes(8, "little") + total.to_bytes(16, "little"))
    else:
        h.update(np.sort(items).tobytes())
    h.update(json.dumps(c.result().to_dict(), sort_keys=True).encode())
    return f"2026-{h.hexdigest()}"


@pytest.mark.parametrize("older", [False, True])
def test_default_transfer_id(ledger_path, monkeypatch, older):
    """A transfer recorded without --transfer-id is named by a keyed digest of its context,
    files, key hashes and counts: a new ledger digests the hashes' sum (no sort); a ledger made
    before (no ``transfer_id`` in its meta) digests every hash in byte order, as every version
    before did, so a transfer an older version recorded is recognised when recorded again."""
    monkeypatch.setenv(ledger_mod.KEY_ENV, "5a" * 32)
    c = shared_phone_transfer()
    files = [{"path": "x.csv", "size": 10, "fingerprint": "ab", "rows": 8}]
    with open_ledger(ledger_path) as lg:
        assert lg.transfer_id_scheme == "hash-sum"
    if older:
        with sqlite3.connect(ledger_path) as conn:
            conn.execute("DELETE FROM meta WHERE name = 'transfer_id'")
    with open_ledger(ledger_path) as lg:
        table = c.person_table(lg.hash_keys)
        first = record(lg, c, files=files)
        again = record(lg, shared_phone_transfer(), files=files)
    hashes = np.ascontiguousarray(table.key_hash).view(np.dtype(f"V{HASH_BYTES}")).ravel()
    assert len(hashes) > len(np.unique(hashes))  # the shared phone, once per holder
    assert first["transfer_id"] == expected_transfer_id(c, table.key_hash, "sorted-hashes" if older else "hash-sum")
    assert again["transfer_id"] == first["transfer_id"] and again["already_recorded"] is True
    assert n_transfers(ledger_path) == 1


def test_a_ledger_naming_transfers_in_an_unknown_way_is_refused(ledger_path):
    with open_ledger(ledger_path):
        pass
    with sqlite3.connect(ledger_path) as conn:
        conn.execute("UPDATE meta SET value = 'tomorrow' WHERE name = 'transfer_id'")
    with pytest.raises(LedgerError, match="names transfers by 'tomorrow'"):
        open_ledger(ledger_path)


@pytest.mark.parametrize("n, prefix_bytes, repeated", [(2, 0, 1), (300, 7, 0), (5000, 6, 500), (5000, 0, 2000),
                                                        (70000, 5, 7000)])
def test_hash_order_is_byte_order(n, prefix_bytes, repeated):
    """The transfer id's ordering of the hashes (a sort of their first words' prefixes, ties
    ordered again) is numpy's sort of them as 16-byte items, with prefixes shared by many
    hashes and hashes repeated."""
    rng = np.random.default_rng(n + prefix_bytes)
    hashes = rng.integers(0, 256, (n, HASH_BYTES), dtype=np.uint8)
    hashes[:, :prefix_bytes] = rng.integers(0, 2, (n, prefix_bytes))
    hashes[rng.integers(0, n, repeated)] = hashes[rng.integers(0, n, repeated)]
    items = hashes.view(np.dtype(f"V{HASH_BYTES}")).ravel()
    assert items[keyed_hash.hash_order(hashes)].tobytes() == np.sort(items).tobytes()


def test_a_new_ledger_has_large_pages_and_an_older_one_keeps_its_own(tmp_path, monkeypatch):
    """New ledgers write their arrays on 64 KiB pages; a ledger made before with SQLite's
    4 KiB pages opens, records and links as before, and keeps its pages."""
    new, older = tmp_path / "new.sqlite", tmp_path / "older.sqlite"
    with open_ledger(new) as lg:
        record(lg, counter([PHONE_A, PHONE_B]), "feb")
    with monkeypatch.context() as before:
        before.setattr(ledger_mod, "_PAGE_SIZE", 4096)  # SQLite's default, as ledgers were made
        with open_ledger(older) as lg:
            record(lg, counter([PHONE_A, PHONE_B]), "feb")
    with open_ledger(older) as lg:
        may = record(lg, counter([PHONE_B, PHONE_C]), "may")
        assert (may["personal"], may["transfers"]) == (3, 2)
    page_size = {p.name: sqlite3.connect(p).execute("PRAGMA page_size").fetchone()[0] for p in (new, older)}
    assert page_size == {"new.sqlite": 65536, "older.sqlite": 4096}


def test_a_transfer_without_persons_is_recorded(ledger_path):
    """An export with no personal data recorded (its arrays are empty) is a transfer of no
    one, not a ledger that cannot be read."""
    with open_ledger(ledger_path) as lg:
        empty = record(lg, PersonCounter(SCAN_DATE), "nobody")
        assert (empty["personal"], empty["transfers"]) == (0, 1)
        after = record(lg, counter([PHONE_A]), "one")
        assert (after["personal"], after["transfers"]) == (1, 2)


def test_exempt_transfers_are_recorded_but_not_counted(ledger_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A]), "counted")
        hr = record(lg, counter([PHONE_B, PHONE_C]), "hr", exempt="art5(2)")
        assert (hr["personal"], hr["transfers"], hr["this_transfer_counted"]) == (1, 1, False)
        assert lg.transfer("hr")["exempt"] == "art5_2"
        ytd = lg.year_to_date(counter([PHONE_B]), TRIAL, 2026, exempt="art4")
        assert ytd["personal"] == 1 and ytd["this_transfer_counted"] is False
        assert lg.status(2026)["exempt_transfers"] == 1
        with pytest.raises(LedgerError, match="unknown exemption reason"):
            record(lg, counter([PHONE_D]), "bad", exempt="art9")
    with sqlite3.connect(ledger_path) as conn:  # an exempt transfer keeps no person
        assert conn.execute("SELECT COUNT(*) FROM person_arrays WHERE transfer_id = 'hr'").fetchone()[0] == 0


def test_scope_is_the_context_or_everything_under_the_baseline(ledger_path):
    other_scenario = dict(TRIAL, scenario="pharmacovigilance")
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A]), "trial")
        record(lg, counter([PHONE_B]), "pv", context=other_scenario)
        assert lg.year_to_date(counter([PHONE_C]), TRIAL, 2026)["personal"] == 2
        baseline = {"sector": "other", "scenario": "other", "ruleset": "cac-2024"}
        ytd = lg.year_to_date(counter([PHONE_C]), baseline, 2026)
        assert (ytd["personal"], ytd["scope"]) == (3, "all")
        status = lg.status(2026)
        assert [(c["scenario"], c["personal"]) for c in status["contexts"]] == [("clinical_trial", 1),
                                                                               ("pharmacovigilance", 1)]
        assert status["all_contexts"]["personal"] == 2
        assert all("headroom" in i for i in status["all_contexts"]["items"])


def test_remove_is_a_logged_correction(ledger_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A]), "one")
        record(lg, counter([PHONE_A, PHONE_B]), "two")
        removed = lg.remove("two", "sent by mistake")
        assert removed["reason"] == "sent by mistake"
        assert lg.year_to_date(counter([PHONE_C]), TRIAL, 2026)["personal"] == 2
        shown = lg.transfer("two")
        assert shown["removed_at"] and [e["action"] for e in shown["log"]] == ["record", "remove"]
        with pytest.raises(LedgerError, match="already removed"):
            lg.remove("two")
        with pytest.raises(LedgerError, match="no transfer"):
            lg.remove("three")
        again = record(lg, counter([PHONE_A, PHONE_B]), "two")
        assert again["already_recorded"] is True and again["removed"] is True


# -- keys and files ----------------------------------------------------------------------------


def test_key_file_is_created_private_and_apart(ledger_path, key_file):
    open_ledger(ledger_path).close()
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    assert key_file.parent != ledger_path.parent
    key_file.chmod(0o644)
    with pytest.raises(LedgerError, match="chmod 600"):
        open_ledger(ledger_path)


def test_a_wrong_key_is_refused(ledger_path, key_file, monkeypatch):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A]), "one")
    monkeypatch.setenv(ledger_mod.KEY_ENV, "11" * 32)
    with pytest.raises(LedgerError, match="the ledger key does not match this ledger") as exc:
        open_ledger(ledger_path)
    assert str(ledger_path) in str(exc.value) and "\n" not in str(exc.value)
    monkeypatch.delenv(ledger_mod.KEY_ENV)
    key_file.unlink()  # a lost key is not silently replaced by a new one
    with pytest.raises(LedgerError, match="no ledger key found"):
        open_ledger(ledger_path)
    assert not key_file.exists()


def test_the_key_from_the_environment(ledger_path, monkeypatch, key_file):
    monkeypatch.setenv(ledger_mod.KEY_ENV, "ab" * 32)
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A]), "one")
    assert not key_file.exists()
    monkeypatch.setenv(ledger_mod.KEY_ENV, "not hex")
    with pytest.raises(LedgerError, match="not a hex string"):
        open_ledger(ledger_path)


def test_files_that_are_not_ledgers(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(LedgerError, match="not a chujing ledger"):
        open_ledger(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="not a chujing ledger"):
        open_ledger(other)
    with pytest.raises(LedgerError, match="folder"):
        open_ledger(tmp_path)


# -- processes ---------------------------------------------------------------------------------

RECORDER = textwrap.dedent("""
    import datetime, sys, numpy as np, pyarrow as pa
    from scanner.persons.ledger import open_ledger
    from scanner.persons.counter import PersonCounter
    path, transfer_id, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    phones = pa.array(np.arange(first, first + n) + 13000000000).cast(pa.string())
    c = PersonCounter(datetime.date(2026, 6, 1))
    c.add_batch({"CN_MOBILE_PHONE": phones}, {"personal": np.ones(n, bool)})
    context = {"sector": "pharmaceutical", "scenario": "clinical_trial", "ruleset": "beijing-ftz-2024"}
    with open_ledger(path) as lg:
        print(lg.record(c, context, 2026, transfer_id, "Acme", None, [], None)["personal"])
""")


def start_recorder(ledger_path: Path, transfer_id: str, first: int, n: int, **env: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RECORDER, str(ledger_path), transfer_id, str(first), str(n)],
                            env={**os.environ, **env}, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the recorder never reached its transaction"
        time.sleep(0.02)


def test_two_processes_recording_at_once_both_land(ledger_path, tmp_path):
    open_ledger(ledger_path).close()
    marker = tmp_path / "first-in-transaction"
    first = start_recorder(ledger_path, "first", 0, 1000, **{ledger_mod.PAUSE_ENV: str(marker),
                                                               ledger_mod.PAUSE_SECONDS_ENV: "1.5"})
    wait_for(marker, first)
    # The first holds the write lock: the second must wait for it, then land too.
    second = start_recorder(ledger_path, "second", 500, 1000)
    out1, err1 = first.communicate(timeout=60)
    out2, err2 = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, (err1, err2)
    assert (out1.strip(), out2.strip()) == ("1000", "1500")
    with open_ledger(ledger_path) as lg:
        assert [t["id"] for t in lg.transfers(2026)] == ["first", "second"]
        assert lg.status(2026)["all_contexts"]["personal"] == 1500


def test_a_process_killed_mid_record_leaves_the_ledger_as_it_was(ledger_path, tmp_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A, PHONE_B], subject=None), "before")
    marker = tmp_path / "in-transaction"
    victim = start_recorder(ledger_path, "big", 0, 200_000, **{ledger_mod.PAUSE_ENV: str(marker)})
    wait_for(marker, victim, timeout=60)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    with open_ledger(ledger_path) as lg:
        assert [t["id"] for t in lg.transfers(2026)] == ["before"]
        assert lg.year_to_date(counter([PHONE_C]), TRIAL, 2026)["personal"] == 3
        assert [e["action"] for e in lg.transfer("before")["log"]] == ["record"]
        record(lg, counter([PHONE_D]), "after")  # and it still takes records
    with sqlite3.connect(ledger_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM person_arrays WHERE transfer_id = 'big'").fetchone()[0] == 0


# -- no raw identifier anywhere ----------------------------------------------------------------


def test_no_raw_identifier_in_the_ledger_or_its_reports(ledger_path, people):
    ids = [p["id"] for p in people]
    phones = [p["phone"] for p in people]
    c = PersonCounter(SCAN_DATE)
    c.add_batch({"CN_RESIDENT_ID": pa.array(ids), "CN_MOBILE_PHONE": pa.array(phones),
                 "user:card": pa.array([p["card"] for p in people])},
                {"personal": np.ones(len(people), bool), "sensitive": np.ones(len(people), bool)},
                subject="trial_subject")
    outputs = []
    with open_ledger(ledger_path) as lg:
        outputs.append(json.dumps(record(lg, c, "T-raw")))
        outputs.append(json.dumps(lg.year_to_date(c, TRIAL, 2026)))
    runner = CliRunner()
    for args in (["status"], ["status", "--format", "json"], ["list"], ["list", "--format", "json"],
                 ["show", "T-raw"], ["show", "T-raw", "--format", "json"], ["export"], ["export", "--format", "csv"]):
        result = runner.invoke(ledger_group, ["--ledger", str(ledger_path), *args, *(["--year", "2026"]
                                              if args[0] in ("status", "list", "export") else [])])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    stored = b"".join(p.read_bytes() for p in ledger_path.parent.iterdir())
    for value in ids + phones + [p["card"] for p in people] + [i[:17] for i in ids]:
        assert value.encode() not in stored
        assert not any(value in out for out in outputs)


# -- the command line --------------------------------------------------------------------------


def test_cli_commands(ledger_path):
    with open_ledger(ledger_path) as lg:
        record(lg, counter([PHONE_A, PHONE_B], [ID_A, None], [True, False]), "T-1")
    runner = CliRunner()
    base = ["--ledger", str(ledger_path)]
    status = runner.invoke(ledger_group, [*base, "status", "--year", "2026", "--format", "json"])
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert data["contexts"][0]["personal"] == 2 and data["contexts"][0]["sensitive"] == 1
    assert any(i["item"].startswith("pharmaceutical.") for i in data["contexts"][0]["items"])
    table = runner.invoke(ledger_group, [*base, "status", "--year", "2026"])
    assert "pharmaceutical / clinical_trial" in table.output and "headroom" in table.output
    # --ledger on the subcommand works as well as on the group
    listed = runner.invoke(ledger_group, ["list", "--year", "2026", "--ledger", str(ledger_path)])
    assert "T-1" in listed.output
    removed = runner.invoke(ledger_group, [*base, "remove", "T-1", "--reason", "test"])
    assert removed.exit_code == 0 and "Removed" in removed.output
    exported = json.loads(runner.invoke(ledger_group, [*base, "export", "--year", "2026"]).output)
    assert exported["status"]["all_contexts"]["personal"] == 0 and exported["transfers"][0]["removed_at"]


def test_cli_errors_are_one_line(ledger_path, monkeypatch):
    runner = CliRunner()
    open_ledger(ledger_path).close()
    missing = runner.invoke(ledger_group, ["--ledger", str(ledger_path), "show", "nope"])
    assert missing.exit_code == 1
    assert missing.output.strip().count("\n") == 0 and "no transfer 'nope'" in missing.output
    monkeypatch.setenv(ledger_mod.KEY_ENV, "22" * 32)
    wrong = runner.invoke(ledger_group, ["--ledger", str(ledger_path), "status"])
    assert wrong.exit_code == 1 and "does not match" in wrong.output and "Traceback" not in wrong.output
