#!/usr/bin/env python3
"""Reference LtHash16 of docs/protocol.md §6, independent of the C++ code.

Recomputes a digest from rows with Python's hashlib (BLAKE2b) and the
`cryptography` package (ChaCha20), and prints the known-answer vectors that
tests/unit/projections/lthash_test.cpp pins. Usage: lthash_reference.py
"""
import hashlib
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

LANES = 1024


def element(key: bytes, value: bytes) -> list:
    seed = hashlib.blake2b(struct.pack(">I", len(key)) + key + value, digest_size=32,
                           person=b"sn.lthash16.v1").digest()
    # OpenSSL's ChaCha20 nonce is counter (4 bytes LE) || 96-bit nonce: all zero.
    stream = Cipher(algorithms.ChaCha20(seed, b"\0" * 16), mode=None).encryptor().update(b"\0" * (2 * LANES))
    return list(struct.unpack("<%dH" % LANES, stream))


def state(rows) -> list:
    lanes = [0] * LANES
    for key, value in rows:
        e = element(key, value)
        lanes = [(a + b) & 0xFFFF for a, b in zip(lanes, e)]
    return lanes


def state_bytes(lanes) -> bytes:
    return struct.pack("<%dH" % LANES, *lanes)


def digest_hex(lanes) -> str:
    return hashlib.blake2b(state_bytes(lanes), digest_size=32).hexdigest()


def bucket_of(key: bytes) -> int:
    return hashlib.blake2b(key, digest_size=32, person=b"sn.lthash.bkt.v1").digest()[0]


if __name__ == "__main__":
    one = state([(b"sku:COFFEE", b"450")])
    two = state([(b"sku:COFFEE", b"450"), (b"sku:TEA", b"300")])
    print("KAT_ELEMENT_HEAD", state_bytes(one)[:16].hex())
    print("KAT_ONE_DIGEST", digest_hex(one))
    print("KAT_TWO_DIGEST", digest_hex(two))
    print("KAT_EMPTY_DIGEST", digest_hex([0] * LANES))
    print("KAT_BUCKET_COFFEE", bucket_of(b"sku:COFFEE"))
    print("KAT_BUCKET_TEA", bucket_of(b"sku:TEA"))
