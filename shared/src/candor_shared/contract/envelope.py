"""The CloudEvents 1.0 envelope and its Kafka binding in binary content mode.

Attributes travel as ``ce_*`` record headers, the data as the JSON record value, the
partition key as the record key (see the CloudEvents Kafka protocol binding).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from candor_shared.clock import utcnow
from candor_shared.ids import uuid7

SPEC_VERSION = "1.0"
JSON = "application/json"


class EventData(BaseModel):
    """Base of every event's data. Subclasses set ``event_type`` and ``topic``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    _registry: ClassVar[dict[str, type[EventData]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        event_type = cls.__dict__.get("event_type")
        if event_type:
            if event_type in EventData._registry:
                raise TypeError(f"event type {event_type} is defined twice")
            EventData._registry[event_type] = cls


D = TypeVar("D", bound=EventData)


class UnknownEventTypeError(ValueError):
    """A record whose ``ce_type`` no model of this contract describes."""


def event_model(event_type: str) -> type[EventData]:
    """The data model registered for ``event_type``."""
    try:
        return EventData._registry[event_type]
    except KeyError:
        raise UnknownEventTypeError(f"unknown event type {event_type!r}") from None


class CloudEvent(BaseModel, Generic[D]):
    """One event: CloudEvents context attributes plus typed data."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    specversion: str = SPEC_VERSION
    datacontenttype: str = JSON
    partitionkey: str
    data: D


def new_event(data: D, *, source: str, key: str, subject: str | None = None) -> CloudEvent[D]:
    """A new event with a fresh time-ordered id, stamped now."""
    return CloudEvent[D](
        id=str(uuid7()),
        source=source,
        type=data.event_type,
        subject=subject,
        time=utcnow(),
        partitionkey=key,
        data=data,
    )


def to_kafka(event: CloudEvent[Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The record key, value and headers of ``event`` in binary content mode."""
    headers = [
        ("ce_specversion", event.specversion.encode()),
        ("ce_id", event.id.encode()),
        ("ce_source", event.source.encode()),
        ("ce_type", event.type.encode()),
        ("ce_time", event.time.isoformat().encode()),
        ("content-type", event.datacontenttype.encode()),
    ]
    if event.subject:
        headers.append(("ce_subject", event.subject.encode()))
    return event.partitionkey.encode(), event.data.model_dump_json().encode(), headers


def headers_of(raw_headers: Any) -> dict[str, str]:
    """Record headers as a dict of strings (the last value wins on a repeated name)."""
    return {name: value.decode("utf-8", "replace") for name, value in (raw_headers or ())}


def from_kafka(key: bytes | None, value: bytes | None, raw_headers: Any) -> CloudEvent[EventData]:
    """Parse a record written by :func:`to_kafka`.

    Raises ``UnknownEventTypeError`` for a type this contract lacks and ``ValueError`` for a
    record that is not a valid Candor CloudEvent.
    """
    headers = headers_of(raw_headers)
    missing = [name for name in ("ce_id", "ce_type", "ce_source", "ce_time") if name not in headers]
    if missing:
        raise ValueError(f"not a CloudEvent: missing headers {', '.join(missing)}")
    if headers.get("ce_specversion", SPEC_VERSION) != SPEC_VERSION:
        raise ValueError(f"unsupported CloudEvents specversion {headers['ce_specversion']!r}")
    model = event_model(headers["ce_type"])
    try:
        data = model.model_validate_json(value or b"")
        return CloudEvent[EventData](
            id=headers["ce_id"],
            source=headers["ce_source"],
            type=headers["ce_type"],
            subject=headers.get("ce_subject"),
            time=datetime.fromisoformat(headers["ce_time"]),
            datacontenttype=headers.get("content-type", JSON),
            partitionkey=(key or b"").decode(),
            data=data,
        )
    except ValidationError as exc:
        raise ValueError(f"invalid {headers['ce_type']} data: {exc}") from exc
