"""incident-api keeps the promises of its own OpenAPI document, checked by schemathesis:
for generated requests to every operation (valid and invalid ones), never a 5xx, only
documented status codes, and bodies and content types as documented."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ADMIN_TOKEN


@pytest.fixture
def served_api(api_settings: Any) -> Iterator[str]:
    """incident-api in a thread of its own: schemathesis calls it synchronously."""
    from candor_incident_api.app import create_app
    from candor_shared.observability import embedded_server

    server = embedded_server(create_app(api_settings), host="127.0.0.1", port=api_settings.api_port)
    thread = threading.Thread(target=server.run, name="incident-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "incident-api did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{api_settings.api_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_keeps_its_documented_promises(served_api: str) -> None:
    schema = schemathesis.openapi.from_url(f"{served_api}/openapi.json")
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=_CHECKS
            )

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # one must not hide the others
            failures[operation.label] = str(failure)[:2000]
    assert operations > 20
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
