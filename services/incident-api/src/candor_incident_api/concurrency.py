"""Conflicting edits: an ETag from a row's version, checked against ``If-Match``.

Read an entity, get ``ETag: W/"<id>-<version>"``; send it back as ``If-Match`` with a change,
and the change is refused with 412 when someone else changed the entity in between.
Without ``If-Match`` the change applies (last writer wins), as most clients expect.
"""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from candor_incident_api.errors import ApiError


def etag_of(entity_id: uuid.UUID | str, version: int) -> str:
    """The entity tag of one version of one entity."""
    return f'W/"{entity_id}-{version}"'


def set_etag(response: Response, entity_id: uuid.UUID | str, version: int) -> None:
    """Tell the client which version it is looking at."""
    response.headers["ETag"] = etag_of(entity_id, version)


def check_if_match(request: Request, entity_id: uuid.UUID | str, version: int) -> None:
    """412 when the request's ``If-Match`` names another version than the current one."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return
    current = etag_of(entity_id, version)
    offered = [tag.strip() for tag in header.split(",")]
    # Weak comparison (RFC 9110 §8.8.3.2): clients may drop the W/ prefix.
    if not any(tag.removeprefix("W/") == current.removeprefix("W/") for tag in offered):
        raise ApiError(
            412,
            "Precondition Failed",
            f"The entity changed since you read it (now {current}); read it again and retry.",
            headers={"ETag": current},
        )
