"""Alembic environment of sla-monitor."""

from candor_shared.migrations import run_env
from candor_sla_monitor.models import Base, load_all_models

load_all_models()
run_env(Base.metadata)
