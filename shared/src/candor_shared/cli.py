"""The command line every worker has: ``run`` and ``migrate``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer

from candor_shared.logging import configure_logging
from candor_shared.runtime import migrate as run_migrations
from candor_shared.runtime import on_stop_signals, tune_gc
from candor_shared.settings import CandorSettings
from candor_shared.worker import Worker

S = TypeVar("S", bound=CandorSettings)


def worker_cli(
    *,
    service: str,
    settings: Callable[[], S],
    create_worker: Callable[[S], Worker],
    migrations: Path,
    version_table: str,
    does: str,
) -> typer.Typer:
    """A typer app whose ``run`` runs the worker until SIGINT or SIGTERM and whose
    ``migrate`` brings its tables to the newest revision; ``does`` completes "Run: ..."."""
    app = typer.Typer(help=f"Candor {service}.", no_args_is_help=True)

    def load() -> S:
        loaded = settings()
        configure_logging(service=service, fmt=loaded.log_format, level=loaded.log_level)
        return loaded

    @app.command(help=f"{does} until SIGINT or SIGTERM.")
    def run() -> None:
        worker = create_worker(load())
        tune_gc()

        async def main() -> None:
            on_stop_signals(worker.stop)
            await worker.run()

        asyncio.run(main())

    @app.command(help=f"Bring {service}'s tables to the newest revision, then exit.")
    def migrate() -> None:
        asyncio.run(run_migrations(load(), script_location=migrations, version_table=version_table))
        typer.echo(f"{service}: migrations applied")

    return app
