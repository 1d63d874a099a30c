"""``python -m candor_incident_api.cli``: the ``candor`` command."""

from candor_incident_api.cli.main import app

app(prog_name="candor")
