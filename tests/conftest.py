"""Fixtures several test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pgserver import PgServer, unavailable_reason


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    """A real PostgreSQL 15 for the module's tests (one per module: some restart it with their own
    settings), or a skip that says why there is none."""
    reason = unavailable_reason(15)
    if reason is not None:
        pytest.skip(reason)
    with PgServer() as pg:
        yield pg
