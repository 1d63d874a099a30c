"""The relay refusing at RCPT TO, not only at DATA (``test_delivery_ledger.py`` scripts the
DATA answers): an aiosmtpd handler of the test's own answers 421 to the first recipient and
then accepts, or answers 550 for good."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from candor_dev.ports import free_port
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import deliveries, opened, publish, snapshot, subscriber


class RefusingAtRcpt:
    """Answers the first ``refusals`` RCPT TO with ``reply``, then accepts; keeps what came."""

    def __init__(self, reply: str, refusals: int) -> None:
        self.reply = reply
        self.refusals = refusals
        self.rcpts = 0
        self.messages: list[bytes] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        self.rcpts += 1
        if self.refusals > 0:
            self.refusals -= 1
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content
        self.messages.append(content if isinstance(content, bytes) else str(content).encode())
        return "250 Message accepted for delivery"


@pytest.fixture
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[RefusingAtRcpt, int]]:
    reply, refusals = request.param
    handler = RefusingAtRcpt(reply, refusals)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


async def _settled(sessions: Any, state: str) -> Any:
    rows = await deliveries(sessions)
    return rows if len(rows) == 1 and rows[0].state == state else None


@pytest.mark.parametrize("relay", [("421 4.7.0 Try again later", 1)], indirect=True)
async def test_421_at_rcpt_then_accepted_is_delivered_once(
    notifier_settings: Any, relay: tuple[RefusingAtRcpt, int]
) -> None:
    handler, port = relay
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    )
    await notifier.start()
    try:
        await publish(notifier.settings, subscriber("ana@example.org", ["email"]))
        await publish(notifier.settings, opened(snapshot()))
        (row,) = await eventually(lambda: _settled(notifier.sessions, "sent"))
    finally:
        await notifier.stop()
    assert len(handler.messages) == 1
    assert handler.rcpts == 2
    assert row.attempts == 2
    assert row.last_error.startswith("421 4.7.0 Try again later")


@pytest.mark.parametrize("relay", [("550 5.1.1 No such user here", 99)], indirect=True)
async def test_550_at_rcpt_is_recorded_as_permanent(
    notifier_settings: Any, relay: tuple[RefusingAtRcpt, int]
) -> None:
    handler, port = relay
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    )
    await notifier.start()
    try:
        await publish(notifier.settings, subscriber("ana@example.org", ["email"]))
        await publish(notifier.settings, opened(snapshot()))
        (row,) = await eventually(lambda: _settled(notifier.sessions, "failed"))
    finally:
        await notifier.stop()
    assert handler.messages == []
    assert handler.rcpts == 1  # not tried again
    assert row.attempts == 1
    assert row.last_error == "550 5.1.1 No such user here"
