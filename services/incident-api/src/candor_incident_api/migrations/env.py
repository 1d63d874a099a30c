"""Alembic environment of incident-api."""

from candor_incident_api.models import Base, load_all_models
from candor_shared.migrations import run_env

load_all_models()
run_env(Base.metadata)
