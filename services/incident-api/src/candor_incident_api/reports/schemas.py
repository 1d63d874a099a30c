"""What the report endpoints answer besides the report itself."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import GroupRef


class ReportRequested(BaseModel):
    """A report was asked of sla-monitor; it appears at ``report_url`` once made."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": "email",
                    "period": "2026-03",
                    "requested_by": "alice",
                    "report_url": "/v1/reports/email?month=2026-03",
                }
            ]
        }
    )

    service: str = Field(description="The service's slug.")
    period: str = Field(description="The month, YYYY-MM, in the agreement's timezone.")
    requested_by: str
    report_url: str = Field(description="Where the report will be served (JSON or HTML).")
    group: GroupRef | None = Field(
        default=None,
        description="The group of users whose agreement the report is against; absent: the "
        "service's own.",
    )
