"""Health, readiness and Prometheus metrics, the same three endpoints on every service."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Generator

import uvicorn
from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[bool]]


def health_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    """``/healthz`` (the process answers), ``/readyz`` (every check passes) and ``/metrics``."""
    router = APIRouter(tags=["operations"])

    @router.get(
        "/healthz",
        summary="Liveness: the process is up",
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    async def healthz() -> dict[str, str]:
        """Answers as long as the process runs; restart it when this fails (no auth)."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the dependencies this service cannot work without answer",
        responses={
            200: {
                "content": {
                    "application/json": {"example": {"status": "ok", "checks": {"database": "ok"}}}
                }
            },
            503: {"description": "A dependency is not ready; see `checks`."},
        },
    )
    async def readyz() -> JSONResponse:
        """Send traffic only while this answers 200: every check names a dependency (no
        auth)."""
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if await check() else "unavailable"
            except Exception:
                results[name] = "unavailable"
        ready = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": results},
            status_code=200 if ready else 503,
            headers={} if ready else {"Retry-After": "5"},
        )

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "content": {"text/plain": {"example": "candor_ingest_batch_requests_count 12.0\n"}}
            }
        },
    )
    async def metrics() -> Response:
        """The Prometheus text format, for scraping (no auth)."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def health_app(checks: dict[str, ReadinessCheck]) -> FastAPI:
    """A small app serving :func:`health_router`, for the workers' own port."""
    app = FastAPI(title="Candor worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(checks))
    return app


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def embedded_server(app: FastAPI, *, host: str, port: int) -> EmbeddedServer:
    """A server for ``app`` to run as one task among a worker's others."""
    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)
    return EmbeddedServer(config)
