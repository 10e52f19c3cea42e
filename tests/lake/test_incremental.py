"""Incremental scans: unchanged files come from the state file, counts stay exact."""

from __future__ import annotations

import os
import sqlite3

import pytest

from scanner.engines.local import scan


@pytest.fixture(autouse=True)
def ledger_key(tmp_path, monkeypatch):
    monkeypatch.setenv("CHUJING_LEDGER_KEY", "ab" * 32)


def write(path, people, columns=("id", "mobile")):
    lines = [",".join(columns)]
    for p in people:
        lines.append(",".join(p["id" if c == "id" else "phone"] for c in columns))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unchanged_files_are_not_scanned_again_and_counts_stay_exact(tmp_path, people):
    data = tmp_path / "data"
    data.mkdir()
    a = write(data / "a.csv", people[:25])
    write(data / "b.csv", people[20:], columns=("mobile",))  # 5 persons shared with a.csv, by phone
    state = str(tmp_path / "state.db")

    full = scan([data])
    first = scan([data], state=state)
    assert first.extra["incremental"] == {"state": state, "cached_files": 0, "scanned_files": 2, "forgotten_files": 0}
    assert (first.persons.personal, first.persons.sensitive) == (full.persons.personal, full.persons.sensitive) == (40, 25)

    second = scan([data], state=state)
    assert second.extra["incremental"]["cached_files"] == 2
    assert second.persons.personal == 40 and second.persons.sensitive == 25
    assert [c.entity for c in second.files[0].columns] == [c.entity for c in first.files[0].columns]
    assert second.verdict == first.verdict

    # A changed file is read again; the other still comes from the state and still links.
    write(a, people[:30])
    os.utime(a, ns=(os.stat(a).st_atime_ns, os.stat(a).st_mtime_ns + 1_000_000))
    third = scan([data], state=state)
    assert third.extra["incremental"]["cached_files"] == 1 and third.extra["incremental"]["scanned_files"] == 1
    assert third.persons.personal == 40 and third.persons.sensitive == 30

    assert scan([data], state=state, rescan=True).extra["incremental"]["scanned_files"] == 2


def test_state_keeps_no_raw_identifier(tmp_path, people):
    path = write(tmp_path / "a.csv", people)
    state = tmp_path / "state.db"
    scan([path], state=str(state))
    blob = state.read_bytes()
    with sqlite3.connect(state) as conn:
        text = " ".join(str(r) for r in conn.execute("SELECT report FROM files"))
    for p in people:
        for value in (p["id"], p["phone"]):
            assert value.encode() not in blob and value not in text


def test_ledger_with_cached_files(tmp_path, people):
    path = write(tmp_path / "a.csv", people)
    state, ledger = str(tmp_path / "state.db"), str(tmp_path / "ledger.db")
    scan([path], state=state)  # fill the state
    report = scan([path], state=state, ledger=ledger, record=True, transfer_id="T1")
    assert report.extra["incremental"]["cached_files"] == 1
    assert report.persons.year_to_date["personal"] == len(people)
    again = scan([path], ledger=ledger)  # a plain scan previews the same persons: still counted once
    assert again.persons.year_to_date["personal"] == len(people)
