"""Which failures the consumer waits out, and which count against a message."""

from __future__ import annotations

import pytest
from sqlalchemy import exc as sa_exc

from candor_shared.kafka.consumer import is_transient


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "transient"),
    [
        ("57P03", True),  # the database system is starting up
        ("53300", True),  # too many connections
        ("08006", True),  # connection failure
        ("40P01", True),  # deadlock detected
        ("40001", True),  # serialization failure
        ("55P03", True),  # lock not available
        ("23505", False),  # unique violation: the message's fault
        ("22001", False),  # value too long
        ("42P01", False),  # undefined table: a bug, not an outage
    ],
)
def test_postgresql_conditions(sqlstate: str, transient: bool) -> None:
    error = sa_exc.DBAPIError("SELECT 1", {}, PgError(sqlstate))
    assert is_transient(error) is transient


def test_local_errors_are_not_outages() -> None:
    assert is_transient(ConnectionRefusedError()) is True
    assert is_transient(PermissionError()) is False
    assert is_transient(ValueError()) is False
