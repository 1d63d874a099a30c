"""The ceiling for the ingest benchmark: a bare FastAPI endpoint that validates the same
Alertmanager payload and does nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from candor_incident_api.ingest.sources.alertmanager import AlertmanagerPayload

app = FastAPI()


@app.post("/v1/ingest/alertmanager", status_code=202)
async def ingest(payload: AlertmanagerPayload) -> dict[str, object]:
    """Validate and answer, as incident-api does, without storing anything."""
    return {"status": "accepted", "alerts": len(payload.alerts), "incidents": []}


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}
