"""Errors a client sees: RFC 9457 problem details, never a stack trace."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from candor_shared.kafka.consumer import is_transient

log = structlog.get_logger(__name__)

PROBLEM = "application/problem+json"


class ApiError(Exception):
    """An error with the status, a short title and a detail that says what to send instead."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}


def not_found(what: str, identifier: str) -> ApiError:
    """404 for a named thing that does not exist."""
    return ApiError(404, "Not found", f"No {what} {identifier!r} exists.")


def conflict(detail: str) -> ApiError:
    """409 for a request that clashes with what exists."""
    return ApiError(409, "Conflict", detail)


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to a problem response with a status that tells the truth."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, headers=exc.headers, extra=exc.extra)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": list(error.get("loc", ())),
                "msg": error.get("msg", ""),
                "type": error.get("type", ""),
            }
            for error in exc.errors()
        ]
        first: dict[str, Any] = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{_location(first['loc'])}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        return problem(422, "Invalid request", detail, extra={"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        return problem(
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def database_error(_: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        if is_transient(exc):
            log.warning("api.database_unavailable", error=repr(exc))
            return problem(
                503,
                "Service unavailable",
                "The database is not reachable; nothing was recorded. Retry shortly.",
                headers={"Retry-After": "5"},
            )
        sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
        if sqlstate.startswith("22"):
            return problem(
                422,
                "Invalid value",
                "A value is malformed or out of range for storage; nothing was recorded.",
            )
        log.exception("api.database_error")
        return problem(500, "Internal error", "The request failed; it was not recorded.")

    @app.exception_handler(OSError)
    async def os_error(_: Request, exc: OSError) -> JSONResponse:
        log.warning("api.dependency_unavailable", error=repr(exc))
        return problem(
            503,
            "Service unavailable",
            "A dependency is not reachable; nothing was recorded. Retry shortly.",
            headers={"Retry-After": "5"},
        )


_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["title", "status"],
}

# Answers any operation may give, whatever it does.
_COMMON_PROBLEMS: dict[str, str] = {
    "400": "Malformed request, e.g. a cursor this API did not hand out.",
    "401": "Missing or invalid credentials.",
    "403": "The credentials do not allow this.",
    "404": "No such thing.",
    "405": "The path does not take this method.",
    "413": "The body is larger than CANDOR_MAX_BODY_BYTES.",
    "422": "The request is malformed; `detail` names the field.",
    "503": "The database is unreachable; retry after `Retry-After` seconds.",
}


def document_problems(app: FastAPI) -> None:
    """Add the problem answers every operation can give to the OpenAPI document, with the
    ``application/problem+json`` body they really have (operations keep their own words)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = _PROBLEM_SCHEMA
        content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                responses = operation["responses"]
                for status, description in _COMMON_PROBLEMS.items():
                    responses.setdefault(status, {"description": description})
                for status, response in responses.items():
                    # FastAPI documents its own 422 body; ours is a problem. Operations that
                    # answer errors in a source's own format (PagerDuty) say so themselves.
                    if status[0] in "45" and ("content" not in response or status == "422"):
                        response["content"] = content
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
