"""Dead pooled connections are replaced at checkout, without a ping."""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import Engine, event, text


def backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        pid: int = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    return pid


def statements_sent(engine: Engine) -> list[str]:
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    return sent


def test_a_healthy_connection_is_reused_without_a_round_trip(engine: Engine) -> None:
    first = backend_pid(engine)
    sent = statements_sent(engine)

    assert backend_pid(engine) == first
    assert sent == ["SELECT pg_backend_pid()"]


def test_a_connection_the_server_terminated_is_replaced_before_use(
    engine: Engine, postgres_database: str
) -> None:
    first = backend_pid(engine)
    with psycopg.connect(
        postgres_database.replace("+psycopg", ""), autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", [first])

    second = backend_pid(engine)

    assert second != first
    assert backend_pid(engine) == second
