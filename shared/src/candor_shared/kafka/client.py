"""Kafka client options from settings, the same for producers, consumers and admin clients."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.helpers import create_ssl_context

from candor_shared.settings import CandorSettings


def client_options(settings: CandorSettings) -> dict[str, Any]:
    """Connection options for any aiokafka client: bootstrap servers, TLS and SASL."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap,
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = create_ssl_context()
    if settings.kafka_sasl_mechanism:
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = settings.kafka_sasl_password
    return options


def new_producer(settings: CandorSettings, *, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for every in-sync replica and fails a send within 10 seconds.

    Idempotence stays a setting: Apache Kafka supports it, the embedded broker does not, and
    the outbox and inbox give the delivery guarantees either way.
    """
    return AIOKafkaProducer(
        client_id=client_id,
        acks="all",
        enable_idempotence=settings.kafka_idempotent_producer,
        linger_ms=2,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
        **client_options(settings),
    )
