"""Create the PostgreSQL test database when it does not exist (used by `make test-postgres`)."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from sqlalchemy.engine import make_url


async def ensure_database(url: str) -> None:
    """Create the database named in ``url`` on its server, if missing."""
    parsed = make_url(url)
    name = parsed.database or "candor_test"
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await connection.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    finally:
        await connection.close()


if __name__ == "__main__":
    asyncio.run(ensure_database(sys.argv[1]))
