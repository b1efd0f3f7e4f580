"""The SQL statements an app runs while a block runs, and PostgreSQL's plan
of one: what the read-path, batch, session and index tests count and
EXPLAIN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event, text

from app.extensions import db


@dataclass(frozen=True)
class Execution:
    """One statement as the cursor ran it (an executemany is one), with
    what its connection was at that moment."""

    statement: str
    parameters: Any
    isolation_level: str | None
    dbapi_connection: int  # id() of the driver's connection

    @property
    def verb(self) -> str:
        return self.statement.split(None, 1)[0].upper()

    @property
    def tables(self) -> set[str]:
        """The tables the statement reads (FROM and JOIN)."""
        return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', self.statement))

    @property
    def kind(self) -> str:
        """Its verb and first table: "SELECT contacts", "INSERT contact_tags"."""
        table = re.search(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", self.statement)
        return f"{self.verb} {table.group(1) if table else ''}".strip()


@contextmanager
def executions(app: Flask) -> Iterator[list[Execution]]:
    """Every statement `app`'s engine runs while the block runs, in order."""
    seen: list[Execution] = []

    def record(
        connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any
    ) -> None:
        seen.append(
            Execution(
                statement,
                parameters,
                connection.get_execution_options().get("isolation_level"),
                id(connection.connection.dbapi_connection),
            )
        )

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_nodes(
    app: Flask, execution: Execution, *, seqscan: bool = True
) -> list[dict[str, Any]]:
    """The nodes of the plan PostgreSQL chooses for the statement; without
    `seqscan`, a small table shows which indexes could answer it."""
    with app.app_context(), db.engine.connect() as connection:
        if not seqscan:
            connection.execute(text("SET LOCAL enable_seqscan = off"))
        explained = connection.exec_driver_sql(
            f"EXPLAIN (FORMAT JSON) {execution.statement}", execution.parameters
        ).scalar_one()

    def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The node and its inputs; not the per-row subqueries (SubPlan) that
        read the first email and phone."""
        yield node
        for child in node.get("Plans", []):
            if child["Parent Relationship"] != "SubPlan":
                yield from walk(child)

    return list(walk(explained[0]["Plan"]))


def index_names(nodes: list[dict[str, Any]]) -> set[str]:
    return {node["Index Name"] for node in nodes if "Index Name" in node}
