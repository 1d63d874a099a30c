"""What the perception endpoints answer besides the report itself."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PerceptionRequested(BaseModel):
    """A perception-gap report was asked of sla-monitor; it appears at ``report_url``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": "email",
                    "period": "2026-03",
                    "requested_by": "alice",
                    "report_url": "/v1/reports/email/perception?month=2026-03",
                }
            ]
        }
    )

    service: str = Field(description="The service's slug.")
    period: str = Field(description="The month, YYYY-MM, in the agreement's timezone.")
    requested_by: str
    report_url: str = Field(description="Where the report will be served (JSON or HTML).")
