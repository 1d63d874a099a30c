"""Alembic, once for every service: each has its own scripts, version table and schema."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from candor_shared.db import create_engine


def alembic_config(*, script_location: Path, url: str, schema: str, version_table: str) -> Config:
    """An Alembic configuration for one service, with no ini file needed."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["url"] = url
    config.attributes["schema"] = schema
    config.attributes["version_table"] = version_table
    return config


def upgrade(*, script_location: Path, url: str, schema: str, version_table: str) -> None:
    """Bring the service's tables to the newest revision (blocking; run it in a thread).

    ``heads``, not ``head``: work on separate tables may branch the history for a while (a
    merge revision joins the branches again), and every branch must be applied."""
    command.upgrade(
        alembic_config(
            script_location=script_location, url=url, schema=schema, version_table=version_table
        ),
        "heads",
    )


def run_env(metadata: MetaData) -> None:
    """The body of a service's ``env.py``: online migrations on the async engine."""
    config = context.config
    url: str = config.attributes["url"]
    schema: str = config.attributes["schema"]
    version_table: str = config.attributes["version_table"]

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_engine(url, schema=schema)
        try:
            async with engine.connect() as connection:
                if connection.dialect.name == "postgresql" and schema:
                    await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
                    await connection.commit()
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(main())
