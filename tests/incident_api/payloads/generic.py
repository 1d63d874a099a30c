"""Candor's generic format: the examples its OpenAPI documentation shows."""

from __future__ import annotations

import copy
from typing import Any

from candor_incident_api.ingest.sources.generic import EXAMPLE_FIRING, EXAMPLE_RESOLVED


def firing() -> dict[str, Any]:
    """The documented batch with one firing alert."""
    return copy.deepcopy(EXAMPLE_FIRING)


def resolved() -> dict[str, Any]:
    """The documented single resolved alert object."""
    return copy.deepcopy(EXAMPLE_RESOLVED)
