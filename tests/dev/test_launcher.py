"""`candor-dev run` from the outside: it brings the system up, the printed alert reaches the
mail page, and Ctrl-C leaves no process behind; a service that cannot start is explained."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from candor_dev.ports import free_port

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "examples" / "catalog.yaml"
EMAIL_SUBSCRIBERS = {"ana.lopez@example.org", "luc.martin@example.org", "service-desk@example.org"}

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads the process tree from /proc"
)


def launcher_command() -> list[str]:
    """The `candor-dev` console script of this environment."""
    script = Path(sys.executable).with_name("candor-dev")
    return [str(script)] if script.exists() else [sys.executable, "-m", "candor_dev.launcher"]


def poll(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Call ``check`` until it returns something truthy; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s")
        time.sleep(interval)


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0], int(fields[19])


def descendants(root: int) -> dict[int, int]:
    """Every live process below ``root``, as pid -> start time."""
    parents: dict[int, list[int]] = {}
    started: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents.setdefault(stat[0], []).append(int(entry.name))
            started[int(entry.name)] = stat[2]
    found: dict[int, int] = {}
    stack = [root]
    while stack:
        for child in parents.get(stack.pop(), []):
            found[child] = started[child]
            stack.append(child)
    return found


def still_running(processes: dict[int, int]) -> list[int]:
    """Those of ``processes`` (pid -> start time) that still run (zombies count as gone)."""
    alive = []
    for pid, start in processes.items():
        stat = _stat(pid)
        if stat is not None and stat[2] == start and stat[1] != "Z":
            alive.append(pid)
    return alive


class Launcher:
    """`candor-dev run` as a child process, its output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [*launcher_command(), *args],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, *, timeout: float) -> re.Match[str]:
        """The first match of ``pattern`` in the output; fails if the launcher exits first."""

        def seen() -> re.Match[str] | None:
            match = re.search(pattern, self.output, re.MULTILINE)
            if match is None and self.process.poll() is not None:
                self._reader.join(timeout=5)
                match = re.search(pattern, self.output, re.MULTILINE)
                if match is None:
                    raise AssertionError(
                        f"candor-dev exited ({self.process.returncode}) before printing "
                        f"{pattern!r}:\n{self.output[-6000:]}"
                    )
            return match

        match: re.Match[str] = poll(seen, timeout=timeout, what=f"no {pattern!r} in the output")
        return match

    def stop(self, sig: signal.Signals = signal.SIGINT, *, timeout: float = 90) -> int:
        """Send ``sig`` and wait for the launcher to exit; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def wait(self, *, timeout: float) -> int:
        """Wait for the launcher to exit on its own; its exit code."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def launcher_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no CANDOR_* setting of the caller, every port free, var/ in tmp."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CANDOR_")}
    env.update(
        {
            "CANDOR_API_PORT": str(free_port()),
            "CANDOR_SLA_MONITOR_PORT": str(free_port()),
            "CANDOR_NOTIFIER_PORT": str(free_port()),
            "CANDOR_MAIL_SMTP_PORT": "0",
            "CANDOR_MAIL_WEB_PORT": "0",
            "CANDOR_DATA_DIR": str(tmp_path / "var"),
            "CANDOR_ADMIN_TOKEN": "launcher-test-token",
            "CANDOR_DELIVERY_POLL_SECONDS": "0.2",
            "CANDOR_OUTBOX_POLL_SECONDS": "0.2",
        }
    )
    return env


@pytest.fixture
def start_launcher(tmp_path: Path) -> Iterator[Callable[..., Launcher]]:
    started: list[Launcher] = []

    def start(env: dict[str, str], *args: str) -> Launcher:
        launcher = Launcher(["run", "--catalog", str(CATALOG), *args], env, cwd=tmp_path)
        started.append(launcher)
        return launcher

    yield start
    for launcher in started:  # a failed test still stops what it started
        launcher.kill()


def printed_curl(output: str) -> tuple[str, dict[str, str], str]:
    """The URL, headers and body of the curl command the launcher printed."""
    lines = output.splitlines()
    first = next(n for n, line in enumerate(lines) if line.startswith("curl "))
    last = next(n for n in range(first, len(lines)) if lines[n].lstrip().startswith("-d "))
    words = shlex.split(" ".join(line.rstrip("\\") for line in lines[first : last + 1]))
    headers = dict(words[n + 1].split(": ", 1) for n, word in enumerate(words) if word == "-H")
    return words[words.index("POST") + 1], headers, words[words.index("-d") + 1]


def test_run_brings_everything_up_and_ctrl_c_stops_it(
    launcher_env: dict[str, str], start_launcher: Callable[..., Launcher], tmp_path: Path
) -> None:
    launcher = start_launcher(launcher_env)
    key = launcher.wait_for(r"Integration key\s+(cndr_ik_\S+)", timeout=240).group(1)
    page = launcher.wait_for(r"Mail catcher\s+(http://\S+)", timeout=5).group(1)
    api = f"http://127.0.0.1:{launcher_env['CANDOR_API_PORT']}"
    assert f"{api}/docs" in launcher.output
    assert "launcher-test-token" in launcher.output
    children = descendants(launcher.process.pid)
    assert len(children) >= 4  # the broker and the three services

    # Each service has its own SQLite file under the chosen data dir.
    assert {path.name for path in (tmp_path / "var").glob("*.db")} == {
        "incident-api.db",
        "sla-monitor.db",
        "notifier.db",
    }

    url, headers, body = printed_curl(launcher.output)
    assert headers["Authorization"] == f"Bearer {key}"
    response = httpx.post(url, content=body, headers=headers, timeout=30)
    assert response.status_code == 202, response.text

    def listed() -> str | None:
        text = httpx.get(page, timeout=5).text
        return text if all(address in text for address in EMAIL_SUBSCRIBERS) else None

    listing = poll(listed, timeout=90, what="the notices did not reach the mail page")
    assert "[Investigating] Email" in listing
    assert "students@example.org" not in listing  # follows only Campus Wi-Fi
    message = httpx.get(f"{page.rstrip('/')}/messages/0", timeout=5)
    assert message.status_code == 200
    assert '<iframe sandbox=""' in message.text
    assert "Email" in message.text

    # Loading the catalog again is harmless, and the key it prints replaces the old one.
    again = subprocess.run(
        [*launcher_command(), "seed", "--api", api, "-f", str(CATALOG)],
        env=launcher_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 created, 4 existing" in again.stdout
    new_key = re.search(r"Prometheus \(demo\): (cndr_ik_\S+)", again.stdout)
    assert new_key is not None
    poll(  # the API caches keys for a few seconds
        lambda: httpx.post(url, content=body, headers=headers, timeout=30).status_code == 401,
        timeout=60,
        interval=0.5,
        what="the replaced key was not refused",
    )
    headers["Authorization"] = f"Bearer {new_key.group(1)}"
    assert httpx.post(url, content=body, headers=headers, timeout=30).status_code == 202

    assert launcher.stop(signal.SIGINT) == 0
    assert still_running(children) == [], launcher.output[-4000:]
    assert re.search(r"^candor-dev\s+\|.*\bstopped$", launcher.output, re.MULTILINE)


def test_a_service_that_cannot_start_is_explained_and_nothing_is_left(
    launcher_env: dict[str, str], start_launcher: Callable[..., Launcher]
) -> None:
    launcher = start_launcher({**launcher_env, "CANDOR_SMTP_URL": "carrier-pigeon://coop"})
    children: dict[int, int] = {}

    def exited() -> bool:
        children.update(descendants(launcher.process.pid))
        return launcher.process.poll() is not None

    poll(exited, timeout=240, what="candor-dev did not give up")
    assert launcher.wait(timeout=10) == 1
    assert "notifier exited with code" in launcher.output
    assert "Last lines of notifier:" in launcher.output
    assert "smtp" in launcher.output.lower()
    assert still_running(children) == []


def test_a_taken_port_is_named_before_anything_starts(
    launcher_env: dict[str, str], start_launcher: Callable[..., Launcher]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        launcher = start_launcher({**launcher_env, "CANDOR_API_PORT": str(port)})
        assert launcher.wait(timeout=120) == 1
    assert f"port {port} on 127.0.0.1 is taken" in launcher.output
    assert "CANDOR_API_PORT" in launcher.output
    assert "service.started" not in launcher.output
