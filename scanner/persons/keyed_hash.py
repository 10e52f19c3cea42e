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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["DEFAULT_SCHEME", "HASH_BYTES", "LEGACY_SCHEME", "SCHEMES", "cmac_key", "hash_keys"]

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
        width = len(prefix) + klen
        blocks = max(1, -(-width // 16))
        complete = width % 16 == 0
        template = np.zeros(blocks * 16, np.uint8)
        template[:len(prefix)] = np.frombuffer(prefix, np.uint8)
        if not complete:
            template[width] = 0x80
        template[-16:] ^= np.frombuffer(k1 if complete else k2, np.uint8)
        offsets = np.frombuffer(group.buffers()[1], np.int64)[group.offset:group.offset + len(group) + 1]
        data = np.frombuffer(group.buffers()[2], np.uint8) if klen else np.zeros(0, np.uint8)
        matrix = data[offsets[0]:offsets[-1]].reshape(len(group), klen)
        done = out if where is None else np.empty((len(group), HASH_BYTES), np.uint8)
        for start in range(0, len(group), _SLICE):
            rows = matrix[start:start + _SLICE]
            message = np.empty((len(rows), blocks * 16), np.uint8)
            message[:] = template
            message[:, len(prefix):width] ^= rows
            words = message.view(np.uint64)
            encrypt = cipher.encryptor()
            state = np.ascontiguousarray(words[:, :2])
            for b in range(blocks):  # CBC over the blocks, every key at once
                if b:
                    state ^= words[:, 2 * b:2 * b + 2]
                state = np.frombuffer(encrypt.update(state.view(np.uint8)), np.uint64).reshape(-1, 2).copy()
            done[start:start + len(rows)] = state.view(np.uint8)
        if where is not None:
            out[where] = done
    return out


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
