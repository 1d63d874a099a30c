"""incident-api and the notifier set up to link to each other: one public address, one secret
signing the links in emails (unsubscribe, confirmation, preferences, feedback)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from candor_incident_api.settings import ApiSettings
from candor_notifier.settings import NotifierSettings
from tests.conftest import ADMIN_TOKEN


def linked_api_settings(make_settings: Callable[..., Any], secret: str) -> ApiSettings:
    """incident-api on a port of its own, its public address that port, signing with ``secret``."""
    port = free_port()
    settings: ApiSettings = make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=port,
        public_url=f"http://127.0.0.1:{port}",
        unsubscribe_secret=secret,
    )
    return settings


def linked_notifier_settings(
    make_settings: Callable[..., Any], mail: MailCatcher, api: ApiSettings, secret: str
) -> NotifierSettings:
    """The notifier mailing ``mail``'s catcher, linking to ``api`` with the same secret, and
    retrying quickly (tests wait for deliveries, not for backoff)."""
    settings: NotifierSettings = make_settings(
        NotifierSettings,
        "notifier",
        smtp_url=mail.url,
        notifier_port=free_port(),
        smtp_timeout_seconds=5,
        delivery_lease_seconds=10,
        delivery_retry_base_seconds=0.05,
        delivery_retry_max_seconds=0.2,
        delivery_poll_seconds=0.1,
        public_url=api.public_url,
        unsubscribe_secret=secret,
    )
    return settings
