"""``Idempotency-Key`` in the OpenAPI document: a reusable header parameter on every POST
that honours it, with the answers it can add (400, 409, 422)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from candor_incident_api.idempotency.middleware import applies_to

PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes the POST safe to retry. Send a fresh random value (a UUID) per operation, "
        'quoted as a Structured Fields string: `Idempotency-Key: "8e03978e-40d5-43e8-bc93-'
        '6894a57f9324"` (1 to 255 printable ASCII characters). A retry with the same key and '
        "the same request gets the first answer again (2xx or a final 4xx) with "
        "`Idempotent-Replayed: true`; the same key with another request gets 422; a retry "
        "while the first is still running gets 409. Answers are kept for "
        "`CANDOR_IDEMPOTENCY_TTL_HOURS` (24 by default); 5xx answers are not kept, so a "
        "retry after one runs again. Keys are per token."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 257},
    "example": '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
}

_ANSWERS = {
    "400": "Invalid request (here also: an Idempotency-Key that is not 1 to 255 printable "
    "ASCII characters, or more than one).",
    "409": "Conflict (here also: a request with this Idempotency-Key is still running; "
    "retry it unchanged after `Retry-After`).",
    "422": "Invalid request (here also: this Idempotency-Key was used for another request).",
}


def document_idempotency(app: FastAPI) -> None:
    """Add the ``Idempotency-Key`` parameter and its answers to the app's OpenAPI document.

    Call it before ``errors.document_problems``, which then documents the answers' bodies.
    """
    build = app.openapi
    documented = False

    def openapi() -> dict[str, Any]:
        nonlocal documented
        schema = build()
        if documented:
            return schema
        documented = True
        components = schema.setdefault("components", {})
        components.setdefault("parameters", {})["IdempotencyKey"] = PARAMETER
        for path, item in schema.get("paths", {}).items():
            operation = item.get("post")
            if operation is None or not applies_to("POST", path):
                continue
            operation.setdefault("parameters", []).append(
                {"$ref": "#/components/parameters/IdempotencyKey"}
            )
            responses = operation.setdefault("responses", {})
            for status, description in _ANSWERS.items():
                # Without content: errors.document_problems gives every 4xx its problem body.
                responses.setdefault(status, {"description": description})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
