"""``candor``: the operator CLI (config as code, incidents at a glance)."""

from candor_incident_api.cli.main import app

__all__ = ["app"]
