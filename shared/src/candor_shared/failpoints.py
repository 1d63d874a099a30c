"""Named crash points for fault tests, in the manner of FoundationDB's buggify or fail-rs.

A failpoint does nothing unless its name is listed in ``CANDOR_FAILPOINTS`` (comma-separated);
then the process exits at once with status 137, as if killed, without flushing or cleaning up.
Fault tests use it to kill a service between two precise steps.
"""

from __future__ import annotations

import os

_ACTIVE = frozenset(
    name.strip() for name in os.environ.get("CANDOR_FAILPOINTS", "").split(",") if name.strip()
)


def failpoint(name: str) -> None:
    """Exit the process immediately when ``name`` is an active failpoint."""
    if name in _ACTIVE:
        os._exit(137)
