"""A service run as a process of its own (``python -m <package> run``), for the tests that
kill it: SIGKILL leaves no clean-up, no flushed buffer, no consumer leaving its group.

``CANDOR_FAILPOINTS`` in its environment makes it exit at once (137, as if killed) at a
named step.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import eventually

KILLED = 137
"""The exit status of a process killed by SIGKILL, or stopped by a failpoint."""
SLOW = 60.0
"""How long a process may take to start, answer or exit on a busy machine."""


def process_env(settings: Any, **overrides: Any) -> dict[str, str]:
    """The environment of a process with these settings and ``overrides`` (``CANDOR_*``
    variables, datetimes as ISO 8601); nothing ``CANDOR_*`` of the test's own environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CANDOR_")}
    for name, value in {**settings.model_dump(), **overrides}.items():
        if value is None:
            continue
        env[f"CANDOR_{name.upper()}"] = (
            value.isoformat() if isinstance(value, datetime) else str(value)
        )
    return env


class ServiceProcess:
    """``python -m <package> run`` in ``env``, its output appended to ``log``."""

    def __init__(self, package: str, env: dict[str, str], log: Path) -> None:
        self._package = package
        self._env = env
        self._log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self._package,
                "run",
                env=self._env,
                stdout=log,
                stderr=log,
            )

    async def ready(self, url: str) -> None:
        """Wait until ``url`` (its ``/readyz``) answers 200; fail if the process exits first."""

        async def answers() -> bool:
            assert self.process is not None
            if self.process.returncode is not None:
                raise AssertionError(f"{self._package} exited with {self.process.returncode}")
            try:
                async with httpx.AsyncClient(timeout=5) as client:
                    return (await client.get(url)).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(answers, timeout=SLOW)

    async def exited(self) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout=SLOW)

    async def terminate(self) -> int:
        """SIGTERM, and its exit status once it stopped."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exited()

    async def kill(self) -> None:
        """SIGKILL: no clean-up, nothing flushed, no consumer leaves its group."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
