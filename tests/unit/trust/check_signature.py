#!/usr/bin/python3
"""Checks the origin-signature known answer of tests/unit/trust/signature_test.cpp
with PyNaCl, building the signed bytes from docs/protocol.md 1.7 alone.

Proves: an outside verifier that knows only the documented layout computes the
same bytes and the same Ed25519 signature as storenode, and that the signature
verifies (and stops verifying when one byte of seq changes)."""
import struct
import sys

try:
    import nacl.exceptions
    import nacl.signing
except ImportError:
    print("python3-nacl is not installed (scripts/setup.sh installs it)", file=sys.stderr)
    sys.exit(1)

DOMAIN = b"storenode/origin-signature/v1"


def signed_message(store_id: bytes, origin: bytes, seq: int, event_hash: bytes) -> bytes:
    assert len(event_hash) == 32
    return (DOMAIN + bytes([len(store_id)]) + store_id + bytes([len(origin)]) + origin
            + struct.pack(">Q", seq) + event_hash)


# The known answer (same constants as signature_test.cpp).
SEED = bytes(range(32))
STORE = b"0123456789abcdef0123456789abcdef"
ORIGIN = b"POS1"
SEQ = 257
HASH = bytes([0xAB] * 32)
PUBLIC = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
SIGNATURE = ("713187fad7c8aac19783fe997d44425fd5bb9f352072aec7c9425533a44f7f82"
             "868e28e06833d6c16e78d21e5d5510c3e929bfb1fd2b906ec95b721e704cbd0e")

key = nacl.signing.SigningKey(SEED)
assert key.verify_key.encode().hex() == PUBLIC, "public key differs"
msg = signed_message(STORE, ORIGIN, SEQ, HASH)
assert len(msg) == 29 + 1 + 32 + 1 + 4 + 8 + 32
assert key.sign(msg).signature.hex() == SIGNATURE, "signature differs from storenode's"
nacl.signing.VerifyKey(bytes.fromhex(PUBLIC)).verify(msg, bytes.fromhex(SIGNATURE))
try:
    nacl.signing.VerifyKey(bytes.fromhex(PUBLIC)).verify(signed_message(STORE, ORIGIN, SEQ + 1, HASH),
                                                         bytes.fromhex(SIGNATURE))
except nacl.exceptions.BadSignatureError:
    pass
else:
    raise AssertionError("a signature verified for another seq")
print("ok: PyNaCl agrees with storenode's origin signature")
