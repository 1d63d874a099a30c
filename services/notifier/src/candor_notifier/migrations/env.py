"""Alembic environment of the notifier."""

from candor_notifier.models import Base, load_all_models
from candor_shared.migrations import run_env

load_all_models()
run_env(Base.metadata)
