"""A query operation's reads share one autocommit connection, whichever
reads first, and give it back when the operation ends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text

from app.db.reads import read_connection, reading_a_query
from app.extensions import db


def through_the_session() -> Connection:
    db.session.execute(text("SELECT 1"))
    return db.session.connection()


def directly() -> Connection:
    connection = read_connection()
    connection.execute(text("SELECT 1"))
    return connection


@pytest.mark.parametrize(
    ("first", "then"),
    [(through_the_session, directly), (directly, through_the_session)],
)
def test_the_first_read_opens_the_one_connection_the_others_join(
    checkouts: list[object],
    first: Callable[[], Connection],
    then: Callable[[], Connection],
) -> None:
    with reading_a_query():
        assert checkouts == []
        one, other = first(), then()

        assert one is other
        assert one.get_execution_options()["isolation_level"] == "AUTOCOMMIT"
        assert len(checkouts) == 1
    assert one.closed
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_outside_a_query_operation_reads_run_on_the_session(
    checkouts: list[object],
) -> None:
    connection = read_connection()

    assert connection is db.session.connection()
    assert "isolation_level" not in connection.get_execution_options()
    assert len(checkouts) == 1


def test_after_a_query_operation_the_session_is_its_own_again(
    app_context: None,
) -> None:
    with reading_a_query():
        read = through_the_session()

    after = through_the_session()

    assert after is not read
    assert "isolation_level" not in after.get_execution_options()
