"""Integration keys: random, recognisable by their prefix, stored only as a hash.

Generated keys carry 256 bits of randomness, so a plain SHA-256 is enough to store them:
there is no low-entropy secret for a slow hash to protect, and lookups stay one indexed
query. An imported key (a PagerDuty routing key, a key kept in a secret store) must be at
least :data:`MIN_IMPORTED_KEY_LENGTH` characters; it is stored the same way.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "cndr_ik_"
MIN_KEY_LENGTH = 32
"""The shortest key the example catalog's ``key_env`` accepts (``cndr_ik_`` keys)."""
MIN_IMPORTED_KEY_LENGTH = 20
IMPORTED_KEY_PATTERN = r"^[\x21-\x7e]+$"
"""Printable ASCII without spaces: what fits in a header, a URL parameter or a JSON string."""


def new_key(prefix: str = KEY_PREFIX) -> str:
    """A fresh key: ``prefix`` (an integration key's by default) and 256 random bits."""
    return prefix + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of ``key``."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str, prefix: str = KEY_PREFIX) -> str:
    """The first characters of a key, shown so that operators can recognise it.

    Candor's own keys show their prefix and 4 random characters; imported keys only their
    first 4 characters, since they may be short.
    """
    if key.startswith(prefix):
        return key[: len(prefix) + 4]
    return key[:4]
