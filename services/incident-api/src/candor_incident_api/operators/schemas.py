"""What admins send and receive about operator tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "operator", "viewer"]

TOKEN_PREFIX = "cndr_op_"  # noqa: S105 (a public prefix, not a secret)


class TokenIn(BaseModel):
    """A token to issue: who it is for and what it may do."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Alice Martin", "role": "operator"}]},
    )

    name: str = Field(
        min_length=1,
        max_length=200,
        description="Who holds the token (a person or a tool); shown as the actor in timelines.",
    )
    role: Role = Field(
        description=(
            "`viewer` reads; `operator` also runs incidents and maintenance; `admin` also "
            "manages the catalog, integrations, subscribers and tokens."
        )
    )


class TokenOut(BaseModel):
    """A token as listed: its prefix, never the token itself."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01964f0c-8a5e-7c3a-9d0e-2f4b6a8c0e1d",
                    "name": "Alice Martin",
                    "role": "operator",
                    "key_prefix": "cndr_op_Xk3q",
                    "created_by": "admin",
                    "created_at": "2025-04-14T09:30:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                }
            ]
        }
    )

    id: uuid.UUID
    name: str
    role: Role
    key_prefix: str = Field(description="The token's first characters, to recognise it.")
    created_by: str = Field(description="Name of the admin who issued it.")
    created_at: datetime
    last_used_at: datetime | None = Field(
        default=None, description="Last time it was seen (updated at most once a minute)."
    )
    revoked_at: datetime | None = None


class TokenCreated(TokenOut):
    """The answer to an issue: the only time the token is shown."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "01964f0c-8a5e-7c3a-9d0e-2f4b6a8c0e1d",
                    "name": "Alice Martin",
                    "role": "operator",
                    "key_prefix": "cndr_op_Xk3q",
                    "created_by": "admin",
                    "created_at": "2025-04-14T09:30:00Z",
                    "last_used_at": None,
                    "revoked_at": None,
                    "token": "cndr_op_Xk3qV9sYl2mB0wE4rT7uI1oP5aS8dF6gH3jK9lZ2xC4",
                }
            ]
        }
    )

    token: str = Field(
        description=f"Starts with `{TOKEN_PREFIX}`. Send as 'Authorization: Bearer <token>'. "
        "Shown only once: it is stored as a SHA-256 hash."
    )
