"""Keyed hashes of person keys, in bulk: what the ledger, the scan state and Spark store.

A person key never leaves a scan raw: the ledger and the incremental scan state keep a 16-byte
keyed hash of each namespace-qualified canonical key (``namespace`` + ``0x1F`` + the key's
UTF-8 bytes). Without the key, a hash cannot be tested against a guessed phone number or ID.

Two schemes:

* ``aes-cmac`` (ledgers made from this version on): AES-CMAC (RFC 4493, NIST SP 800-38B) with
  an AES-256 key derived from the ledger key by keyed BLAKE2b. CMAC is a PRF; it is computed
  for a whole array at once: keys of one length are one matrix of blocks, and each block
  position of every key is one AES call (AES-NI through ``cryptography``), so there is no
  Python loop per key (about 0.1 µs a key, against 1 µs for BLAKE2 one key at a time).
* ``blake2b``: keyed BLAKE2b-128, one key at a time: the hashes of ledgers recorded before
  (they say nothing of the scheme). They still read and record, with their own scheme, since a
  hash cannot be turned into another one without the raw keys.

>>> import pyarrow as pa
>>> key = bytes(range(32))
>>> a = hash_keys(key, "CN_MOBILE_PHONE", pa.array(["13912345678", "noreply@company.com", "13912345678"]))
>>> a.shape, bool((a[0] == a[2]).all()), bool((a[0] == a[1]).all())
((3, 16), True, False)

The bulk computation is plain CMAC, as the ``cryptography`` package computes it key by key:

>>> from cryptography.hazmat.primitives import cmac
>>> from cryptography.hazmat.primitives.ciphers import algorithms
>>> one = cmac.CMAC(algorithms.AES(cmac_key(key)))
>>> one.update("CN_MOBILE_PHONE\\x1f13912345678".encode())
>>> one.finalize() == a[0].tobytes()
True
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DEFAULT_SCHEME", "HASH_BYTES", "LEGACY_SCHEME", "SCHEMES", "cmac_key", "hash_keys", "hash_order"]

HASH_BYTES = 16
DEFAULT_SCHEME = "aes-cmac"
LEGACY_SCHEME = "blake2b"
SCHEMES = (DEFAULT_SCHEME, LEGACY_SCHEME)
_SEPARATOR = b"\x1f"
_SLICE = 1 << 16  # keys per AES call: 1 MB of blocks, cache-sized temporaries


def hash_keys(key: bytes, namespace: str, keys: pa.Array, scheme: str = DEFAULT_SCHEME) -> np.ndarray:
    """``(len(keys), HASH_BYTES)`` uint8: the keyed hash of ``namespace`` + each key."""
    if scheme == DEFAULT_SCHEME:
        return _cmac_keys(key, namespace, keys)
    if scheme == LEGACY_SCHEME:
        return _blake2b_keys(key, namespace, keys)
    raise ValueError(f"unknown key hash scheme {scheme!r}: this version knows {', '.join(SCHEMES)}")


def cmac_key(key: bytes) -> bytes:
    """The AES-256 key of the ``aes-cmac`` scheme, derived from the ledger key."""
    return hashlib.blake2b(b"aes-cmac", key=key[:64], digest_size=32, person=b"chujing.cmac").digest()


def _double(block: bytes) -> bytes:
    """Doubling in GF(2^128): CMAC's subkeys (RFC 4493 section 2.3)."""
    n = int.from_bytes(block, "big") << 1
    if n >> 128:
        n = (n & ((1 << 128) - 1)) ^ 0x87
    return n.to_bytes(16, "big")


def _cmac_keys(key: bytes, namespace: str, keys: pa.Array) -> np.ndarray:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    cipher = Cipher(algorithms.AES(cmac_key(key)), modes.ECB())
    k1 = _double(cipher.encryptor().update(bytes(16)))
    k2 = _double(k1)
    prefix = namespace.encode("utf-8") + _SEPARATOR
    keys = _binary(keys)
    n = len(keys)
    out = np.empty((n, HASH_BYTES), np.uint8)
    if n == 0:
        return out
    lengths = pc.binary_length(keys).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    widths = np.flatnonzero(np.bincount(lengths)).tolist()
    for klen in widths:
        # Keys of one length: their bytes are back to back, one row of a matrix each.
        where = None if len(widths) == 1 else np.flatnonzero(lengths == klen)
        group = keys if where is None else keys.take(pa.array(where))
        offsets = np.frombuffer(group.buffers()[1], np.int64)[group.offset:group.offset + len(group) + 1]
        data = np.frombuffer(group.buffers()[2], np.uint8) if klen else np.zeros(0, np.uint8)
        matrix = data[offsets[0]:offsets[-1]].reshape(len(group), klen)
        done = out if where is None else np.empty((len(group), HASH_BYTES), np.uint8)
        _cmac_rows(cipher, prefix, matrix, k1, k2, done)
        if where is not None:
            out[where] = done
    return out


def _cmac_rows(cipher: Any, prefix: bytes, rows: np.ndarray, k1: bytes, k2: bytes, out: np.ndarray) -> None:
    """CMAC of ``prefix`` + each row of ``rows`` (keys of one length) into ``out``: CBC over the
    blocks of every key at once, each block position one AES call for a slice of keys.

    Blocks that hold only the prefix (all but the last) are the same for every key: they are
    enciphered once. The other blocks are one buffer whose prefix and padding bytes are written
    once; a slice of keys copies only its own bytes into it. The subkey (RFC 4493: K1 for a
    complete last block, K2 for a padded one) is XORed into the chain at the last block."""
    klen = rows.shape[1]
    width = len(prefix) + klen
    blocks = max(1, -(-width // 16))
    complete = width % 16 == 0
    encrypt = cipher.encryptor()
    fixed = min(len(prefix) // 16, blocks - 1)
    chain = bytes(16)
    for b in range(fixed):
        chain = encrypt.update(bytes(x ^ y for x, y in zip(chain, prefix[16 * b:16 * b + 16], strict=True)))
    first = np.frombuffer(chain, np.uint64)
    last = np.frombuffer(k1 if complete else k2, np.uint64)
    tail = prefix[16 * fixed:]
    varying = blocks - fixed
    size = min(_SLICE, len(rows))
    message = np.zeros((size, varying * 16), np.uint8)
    message[:, :len(tail)] = np.frombuffer(tail, np.uint8)
    if not complete:
        message[:, width - 16 * fixed] = 0x80
    words = message.view(np.uint64)
    # Each key's bytes as one item of a strided view of the buffer: one copy per key.
    place = np.ndarray((size,), dtype=f"V{klen}", buffer=message, offset=len(tail), strides=(varying * 16,)) \
        if klen else None
    items = rows.view(f"V{klen}").reshape(-1) if klen else None
    state = np.empty((size, 2), np.uint64)
    enciphered = bytearray(size * 16 + 16)
    for start in range(0, len(rows), _SLICE):
        m = min(_SLICE, len(rows) - start)
        if place is not None:
            place[:m] = items[start:start + m]
        chained = state[:m]
        np.bitwise_xor(words[:m, 0:2], first, out=chained)
        for b in range(varying):
            if b:
                chained ^= words[:m, 2 * b:2 * b + 2]
            if b == varying - 1:
                chained ^= last
            encrypt.update_into(memoryview(chained).cast("B"), enciphered)
            chained[:] = np.frombuffer(enciphered, np.uint64, count=2 * m).reshape(m, 2)
        out[start:start + m] = chained.view(np.uint8)


def hash_order(key_hash: np.ndarray) -> np.ndarray:
    """The order that puts contiguous 16-byte hashes (``(n, HASH_BYTES)`` uint8) in byte order:
    how the ledger's older transfer ids digest a transfer's hashes, and how the union of person
    tables numbers distinct hashes.

    Each hash's first 8 bytes, read big-endian, keep their top ``64 - b`` bits and give the low
    ``b`` bits to the hash's position (``2**b`` > the number of hashes): one sort of plain
    integers (numpy's vectorised sort, several times faster than ``np.argsort``) orders them by
    that prefix and hands back the positions. Keyed hashes are uniform, so hashes sharing a
    prefix are few (a few dozen among 10 M, besides a shared contact's hash kept per holder):
    only those are ordered again, by both words.

    >>> h = np.array([[2] + [0] * 15, [1] + [9] * 15, [1] + [0] * 15, [1] + [9] * 15, [2] + [0] * 15], np.uint8)
    >>> hash_order(h).tolist() in ([2, 1, 3, 0, 4], [2, 3, 1, 0, 4], [2, 1, 3, 4, 0], [2, 3, 1, 4, 0])
    True
    """
    n = len(key_hash)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    words = key_hash.view(">u8")
    bits = np.uint64((n - 1).bit_length())
    packed = words[:, 0].astype(np.uint64)
    packed >>= bits
    packed <<= bits
    packed |= np.arange(n, dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << int(bits)) - 1)).astype(np.int64)
    packed >>= bits
    tie = np.flatnonzero(packed[1:] == packed[:-1])  # position i ties with i + 1
    del packed
    if len(tie):
        # Only runs of equal prefixes holding two different hashes are ordered again (a run of
        # one hash repeated is in order). The runs stand in order: sorting their rows together
        # by both words puts each run's rows back in its own places, in order.
        # (Rows are gathered as 16-byte items: a gather of 2-word rows is 10 times slower.)
        items = key_hash.view(np.dtype("V16")).reshape(-1)
        before = items[order[tie]].view(np.uint64).reshape(-1, 2)
        after = items[order[tie + 1]].view(np.uint64).reshape(-1, 2)
        differ = (before[:, 0] != after[:, 0]) | (before[:, 1] != after[:, 1])
        del before, after
        run = np.cumsum(np.concatenate([[True], tie[1:] != tie[:-1] + 1]))
        tie = tie[np.isin(run, run[differ])]
    if len(tie):
        in_tie = np.zeros(n, bool)
        in_tie[tie] = in_tie[tie + 1] = True
        at = np.flatnonzero(in_tie)
        rows = order[at]
        tied = key_hash.view(np.dtype("V16")).reshape(-1)[rows].view(">u8").reshape(-1, 2).astype(np.uint64)
        order[at] = rows[np.lexsort((tied[:, 1], tied[:, 0]))]
    return order


def _blake2b_keys(key: bytes, namespace: str, keys: pa.Array) -> np.ndarray:
    base = hashlib.blake2b(key=key, digest_size=HASH_BYTES, person=b"chujing.person")
    base.update(namespace.encode("utf-8") + _SEPARATOR)
    out = np.empty((len(keys), HASH_BYTES), dtype=np.uint8)
    copy = base.copy
    # In slices, so that only a slice's Python strings exist at a time (bounded memory).
    for start in range(0, len(keys), 65536):
        chunk = bytearray()
        for value in keys.slice(start, 65536).to_pylist():
            h = copy()
            h.update(value.encode("utf-8") if isinstance(value, str) else value)
            chunk += h.digest()
        out[start:start + len(chunk) // HASH_BYTES] = np.frombuffer(bytes(chunk), dtype=np.uint8).reshape(-1, HASH_BYTES)
    return out


def _binary(keys: pa.Array) -> pa.Array:
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    if not isinstance(keys, pa.Array):
        keys = pa.array(keys, pa.string())
    if keys.null_count:
        raise ValueError("a key to hash is missing (null)")
    return keys.cast(pa.large_binary())
