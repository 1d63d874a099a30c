"""The launcher's children: started in groups of their own, logs shown, stopped in order.

Every line a service writes is printed with the service's name in front, and the last lines
are kept so that a service that fails to start can be explained.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from typing import TextIO

import httpx

from candor_dev.processes import die_with_parent, signal_group

PREFIX_WIDTH = 12
_COLOURS = ("36", "35", "33", "32", "34", "31")


class Console:
    """Prints lines prefixed with their source's name, coloured on a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout
        self._colour = self._stream.isatty() and "NO_COLOR" not in os.environ
        self._colours: dict[str, str] = {}

    def prefix(self, source: str) -> str:
        """``source``'s name, padded, with the separator (coloured on a terminal)."""
        text = f"{source:<{PREFIX_WIDTH}} |"
        if not self._colour:
            return text
        code = self._colours.setdefault(source, _COLOURS[len(self._colours) % len(_COLOURS)])
        return f"\x1b[{code}m{text}\x1b[0m"

    def line(self, source: str, text: str) -> None:
        """Print one line from ``source``."""
        print(f"{self.prefix(source)} {text}", file=self._stream, flush=True)

    def block(self, text: str) -> None:
        """Print text as it is (the banner)."""
        print(text, file=self._stream, flush=True)


@dataclass(frozen=True)
class ServiceSpec:
    """How to start one service and how to tell it is ready."""

    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str


class ServiceFailed(Exception):
    """A service exited, or did not become ready in time; the message says which and why."""

    def __init__(self, service: ServiceProcess, reason: str) -> None:
        super().__init__(f"{service.name} {reason}")
        self.service = service


class ServiceProcess:
    """One service as a child process in a process group of its own."""

    def __init__(self, spec: ServiceSpec, console: Console, *, tail_lines: int = 40) -> None:
        self.spec = spec
        self._console = console
        self.tail: deque[str] = deque(maxlen=tail_lines)
        self.process: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        """The service's name, as its log lines are prefixed."""
        return self.spec.name

    @property
    def running(self) -> bool:
        """True between start and exit."""
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        """Start the process; its output is printed line by line from now on."""
        self.process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            env=self.spec.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(),
            limit=1 << 20,
        )
        self._pump = asyncio.create_task(self._print_output(), name=f"{self.name}-output")

    async def _print_output(self) -> None:
        assert self.process is not None
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            try:
                raw = await stdout.readline()
            except ValueError:  # a line longer than the buffer: show what there is
                raw = await stdout.read(1 << 20)
            if not raw:
                return
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            self.tail.append(text)
            self._console.line(self.name, text)

    async def wait_ready(self, client: httpx.AsyncClient, *, within: float) -> None:
        """Return once ``/readyz`` answers 200; ServiceFailed if it exits or time runs out."""
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if self.process.returncode is not None:
                await self.drain()
                raise ServiceFailed(self, f"exited with code {self.process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(self.spec.ready_url, timeout=2)).status_code == 200:
                    return
            if loop.time() > deadline:
                raise ServiceFailed(
                    self, f"was not ready at {self.spec.ready_url} after {within:g}s"
                )
            await asyncio.sleep(0.2)

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has exited."""
        return None if self.process is None else self.process.returncode

    async def wait_exit(self) -> int:
        """Wait for the process to exit; its exit code."""
        assert self.process is not None
        code = await self.process.wait()
        await self.drain()
        return code

    async def drain(self) -> None:
        """Wait until everything the process wrote has been printed."""
        if self._pump is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._pump), timeout=5)

    async def stop(self, *, grace: float = 20.0) -> None:
        """SIGTERM the process group, SIGKILL it after ``grace`` seconds; wait for the exit."""
        process = self.process
        if process is None:
            return
        if process.returncode is None:
            signal_group(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=grace)
            except TimeoutError:
                self._console.line(self.name, f"did not stop within {grace}s: killed")
                signal_group(process.pid, signal.SIGKILL)
                await process.wait()
        # Anything the service itself started is in its group: leave nothing behind.
        signal_group(process.pid, signal.SIGKILL)
        await self.drain()

    def kill(self) -> None:
        """SIGKILL the process group now, without waiting (last resort on the way out)."""
        if self.process is not None and self.process.returncode is None:
            signal_group(self.process.pid, signal.SIGKILL)


async def wait_all_ready(
    services: list[ServiceProcess], client: httpx.AsyncClient, *, within: float
) -> bool:
    """True once every service is ready; on the first failure, stop waiting and raise it."""
    waits = [asyncio.create_task(service.wait_ready(client, within=within)) for service in services]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
        return True
    finally:
        for task in waits:
            task.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
