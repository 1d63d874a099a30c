"""Stored answers are sealed with a key only their caller holds.

Some answers carry a secret shown once (the token of ``POST /v1/tokens``, the key of
``POST /v1/integrations``); a retry must get it again, yet no secret may rest in the
database in plaintext. Each body is encrypted with AES-256-GCM under a key derived (HKDF)
from the caller's bearer token, which Candor keeps only as a SHA-256 hash: a database dump
alone reveals no answer. The principal and the idempotency key are bound in as associated
data, so that a sealed body cannot be moved to another record.
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


def sealing_key(token: bytes) -> bytes:
    """The 256-bit key that seals the answers kept for ``token``."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"candor idempotency answers"
    ).derive(token)


def seal(key: bytes, body: bytes, *, bound_to: bytes) -> bytes:
    """``body`` encrypted and authenticated, bound to ``bound_to``."""
    nonce = os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, body, bound_to)


def unseal(key: bytes, sealed: bytes, *, bound_to: bytes) -> bytes:
    """The body :func:`seal` sealed; raises ``cryptography.exceptions.InvalidTag`` when
    ``sealed`` was altered, moved or sealed under another key."""
    if not sealed.startswith(_VERSION):
        raise ValueError("unknown sealing version")
    nonce = sealed[1 : 1 + _NONCE_BYTES]
    return AESGCM(key).decrypt(nonce, sealed[1 + _NONCE_BYTES :], bound_to)
