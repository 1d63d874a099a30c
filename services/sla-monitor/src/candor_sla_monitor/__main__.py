"""`python -m candor_sla_monitor run` (or `migrate`)."""

from candor_sla_monitor.main import app

app(prog_name="candor-sla-monitor")
