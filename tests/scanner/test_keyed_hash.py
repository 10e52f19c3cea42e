"""The ledger's keyed hash in bulk: AES-CMAC of whole arrays, equal to CMAC key by key; older
ledgers keep their BLAKE2b hashes and still link across transfers."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import cmac
from cryptography.hazmat.primitives.ciphers import algorithms
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.cli import main
from scanner.persons import keyed_hash
from scanner.persons import ledger as ledger_mod

KEY = bytes(range(7, 39))


def one_by_one(key: bytes, namespace: str, values: list[str], scheme: str) -> np.ndarray:
    """The same hash computed key by key with the reference implementations."""
    out = []
    for value in values:
        message = namespace.encode() + b"\x1f" + value.encode()
        if scheme == keyed_hash.DEFAULT_SCHEME:
            mac = cmac.CMAC(algorithms.AES(keyed_hash.cmac_key(key)))
            mac.update(message)
            out.append(mac.finalize())
        else:
            h = hashlib.blake2b(key=key, digest_size=16, person=b"chujing.person")
            h.update(message)
            out.append(h.digest())
    return np.frombuffer(b"".join(out), np.uint8).reshape(-1, 16)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=40),
       namespace=st.sampled_from(["CN_MOBILE_PHONE", "EMAIL", "user:会员号", "x" * 15, "keyless_by:CN_VIN"]),
       start=st.integers(0, 5), scheme=st.sampled_from(keyed_hash.SCHEMES))
def test_bulk_hash_equals_the_hash_of_each_key(values, namespace, start, scheme):
    # Every length (block boundaries at 16 and 32 bytes included), any text, a sliced array.
    array = pa.array(["pad"] * start + values).slice(start)
    bulk = keyed_hash.hash_keys(KEY, namespace, array, scheme)
    assert bulk.shape == (len(values), 16)
    assert np.array_equal(bulk, one_by_one(KEY, namespace, values, scheme))


def test_every_length_around_the_block_boundaries():
    values = ["7" * n for n in range(0, 70)]
    # 6, 15, 16, 31, 32 and 33 bytes of prefix: whole blocks of prefix are enciphered once
    for namespace in ("EMAIL", "CN_RESIDENT_ID", "CN_MOBILE_PHONE", "N" * 30, "N" * 31, "N" * 32):
        bulk = keyed_hash.hash_keys(KEY, namespace, pa.array(values))
        assert np.array_equal(bulk, one_by_one(KEY, namespace, values, keyed_hash.DEFAULT_SCHEME))


def test_more_keys_than_one_slice():
    """Keys are enciphered a slice at a time through one reused buffer: every slice, the last
    one short, is each key's own CMAC."""
    n = 2 * keyed_hash._SLICE + 123
    values = [f"1{i:010d}" for i in range(n)]
    bulk = keyed_hash.hash_keys(KEY, "CN_MOBILE_PHONE", pa.array(values))
    at = np.r_[0:3, keyed_hash._SLICE - 2:keyed_hash._SLICE + 2, n - 3:n]
    assert np.array_equal(bulk[at], one_by_one(KEY, "CN_MOBILE_PHONE", [values[i] for i in at],
                                               keyed_hash.DEFAULT_SCHEME))
    assert len({row.tobytes() for row in bulk}) == n


def test_the_key_and_the_namespace_change_every_hash():
    keys = pa.array(["13912345678", "11010519491231002X"])
    base = keyed_hash.hash_keys(KEY, "CN_MOBILE_PHONE", keys)
    assert not (keyed_hash.hash_keys(bytes(32), "CN_MOBILE_PHONE", keys) == base).all(axis=1).any()
    assert not (keyed_hash.hash_keys(KEY, "CN_LANDLINE", keys) == base).all(axis=1).any()


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError, match="unknown key hash scheme"):
        keyed_hash.hash_keys(KEY, "EMAIL", pa.array(["a@b.cn"]), "md5")


# -- through the command line ------------------------------------------------------------------


@pytest.fixture
def ledger_key(monkeypatch) -> bytes:
    monkeypatch.setenv(ledger_mod.KEY_ENV, KEY.hex())
    return KEY


def write_csv(path: Path, people: list[dict[str, str]]) -> Path:
    lines = ["姓名,证件号码,联系电话"] + [f"用户{i},{p['id']},{p['phone']}" for i, p in enumerate(people)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def record(path: Path, ledger: Path, transfer: str) -> dict:
    result = CliRunner().invoke(main, ["scan", str(path), "--ledger", str(ledger), "--record", "--transfer-id", transfer,
                                       "--year", "2026", "--format", "json"])
    assert result.exit_code in (0, 10, 20, 30), result.output
    return json.loads(result.output[result.output.index("{"):])


def stored_hashes(ledger: Path, transfer: str) -> set[bytes]:
    with sqlite3.connect(ledger) as conn:
        data = b"".join(r[0] for r in conn.execute(
            "SELECT data FROM person_arrays WHERE transfer_id = ? AND name = 'key_hash' ORDER BY part", (transfer,)))
    return {data[i:i + 16] for i in range(0, len(data), 16)}


def test_a_new_ledger_stores_aes_cmac_hashes(tmp_path, people, ledger_key):
    ledger = tmp_path / "ledger.sqlite"
    report = record(write_csv(tmp_path / "feb.csv", people[:20]), ledger, "feb")
    assert report["persons"]["year_to_date"]["personal"] == 20
    with sqlite3.connect(ledger) as conn:
        assert dict(conn.execute("SELECT name, value FROM meta"))["key_hash"] == "aes-cmac"
    phones = [p["phone"] for p in people[:20]]
    expected = one_by_one(ledger_key, "CN_MOBILE_PHONE", phones, keyed_hash.DEFAULT_SCHEME)
    assert {bytes(h) for h in expected} <= stored_hashes(ledger, "feb")


def test_a_ledger_made_before_the_bulk_hash_keeps_blake2b_and_still_links(tmp_path, people, ledger_key):
    ledger = tmp_path / "ledger.sqlite"
    # A ledger of the earlier format: its meta names no key hash scheme.
    ledger_mod.open_ledger(ledger).close()
    with sqlite3.connect(ledger) as conn:
        conn.execute("DELETE FROM meta WHERE name = 'key_hash'")
    record(write_csv(tmp_path / "feb.csv", people[:30]), ledger, "feb")
    phones = [p["phone"] for p in people[:30]]
    legacy = one_by_one(ledger_key, "CN_MOBILE_PHONE", phones, keyed_hash.LEGACY_SCHEME)
    assert {bytes(h) for h in legacy} <= stored_hashes(ledger, "feb")
    # May: 10 of February's persons again and 10 new ones: 40 in the year, linked through the
    # hashes of the older scheme.
    may = record(write_csv(tmp_path / "may.csv", people[20:40]), ledger, "may")
    assert may["persons"]["personal"] == 20
    assert may["persons"]["year_to_date"]["personal"] == 40
    with sqlite3.connect(ledger) as conn:
        assert "key_hash" not in dict(conn.execute("SELECT name, value FROM meta"))
