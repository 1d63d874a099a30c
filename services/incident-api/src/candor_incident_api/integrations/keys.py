"""Integration keys: random, recognisable by their prefix, stored only as a hash.

Keys carry 256 bits of randomness, so a plain SHA-256 is enough to store them: there is no
low-entropy secret for a slow hash to protect, and lookups stay one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "cndr_ik_"
MIN_KEY_LENGTH = 32


def new_key() -> str:
    """A fresh integration key."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The first characters of a key, shown so that operators can recognise it."""
    return key[: len(KEY_PREFIX) + 4]
