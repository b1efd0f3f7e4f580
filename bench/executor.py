"""Time graphql-core's stock executor against ours (graphql_fastpath/).

    .venv/bin/python bench/executor.py [--contacts 50] [--iterations 200]
        [--rounds 5]

Seeds a temporary SQLite database with one demo user and --contacts contacts
(`app.services.seed`), parses and validates the hottest query once (a page of
contacts with their emails, phones and tags, about 1,000 fields for 50), and
runs the `contacts` resolver once to get the page. Then, for each executor in
turn, rounds interleaved, it executes that same document on that same page
--iterations times: build the executor (operation and variables) and
complete the `contacts` field's value, which is all the executor does once
the resolver has returned. The database is not read while timing. Prints the
median time per execution over all iterations, and the speed-up.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Any

ROOT = FilePath(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask, Response, request  # noqa: E402
from graphql import (  # noqa: E402
    DocumentNode,
    Executor,
    GraphQLObjectType,
    MiddlewareManager,
    parse,
    validate,
)
from graphql.execution.collect_fields import collect_fields  # noqa: E402
from graphql.pyutils import Path  # noqa: E402
from strawberry.execution.is_awaitable import optimized_is_awaitable  # noqa: E402
from strawberry.schema.schema import (  # noqa: E402
    StrawberryGraphQLCoreExecutionContext,
)

from app import create_app  # noqa: E402
from app.db.transaction import transactional  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import User  # noqa: E402
from app.schema.context import Context  # noqa: E402
from app.services import seed, tokens  # noqa: E402
from bench.queries import LIST  # noqa: E402
from graphql_fastpath import FastExecutor  # noqa: E402

EXECUTORS: dict[str, type[Executor]] = {
    "stock": StrawberryGraphQLCoreExecutionContext,
    "fast": FastExecutor,
}


def seeded_app(directory: str, contacts: int) -> tuple[Flask, str]:
    """An app on a fresh SQLite file with one demo user; the user's token."""
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/bench.db"}
    )
    with app.app_context():
        db.create_all()
        seed.seed(1, contacts, random_seed=1)
        user = db.session.scalars(db.select(User)).one()
        token = transactional(tokens.start_session)(user).access_token
    return app, token


class Execution:
    """One document, context and resolved page, executed by either executor
    as strawberry's `execute_sync` would set it up."""

    def __init__(self, app: Flask, document: DocumentNode, first: int) -> None:
        self.schema = app.extensions["graphql_schema"]._schema
        self.document = document
        self.variables = {"first": first}
        self.context = Context(request=request, response=Response())
        executor = self.build(StrawberryGraphQLCoreExecutionContext)
        query_type = self.schema.query_type
        assert isinstance(query_type, GraphQLObjectType)
        fields = collect_fields(
            self.schema,
            executor.fragments,
            executor.variable_values,
            query_type,
            executor.operation,
        ).grouped_field_set
        self.field_details_list = fields["contacts"]
        self.field = query_type.fields["contacts"]
        self.path = Path(None, "contacts", query_type.name)
        info = self.info(executor)
        self.page = self.field.resolve(None, info, first=first)  # type: ignore[misc]

    def build(self, executor_class: type[Executor]) -> Executor:
        executor = executor_class.build(
            self.schema,
            self.document,
            context_value=self.context,
            raw_variable_values=self.variables,
            middleware=MiddlewareManager(),
            is_awaitable=optimized_is_awaitable,
            is_async_iterable=lambda _value: False,
            operation_extensions=None,
        )
        assert isinstance(executor, Executor), executor
        return executor

    def info(self, executor: Executor) -> Any:
        query_type = self.schema.query_type
        nodes = [details.node for details in self.field_details_list]
        return executor.build_resolve_info(self.field, nodes, query_type, self.path)

    def run(self, executor_class: type[Executor]) -> Any:
        """Execute the document on the resolved page: what `execute_field`
        does for `contacts` after its resolver returns."""
        executor = self.build(executor_class)
        return executor.complete_value(
            self.field.type,
            self.field_details_list,
            self.info(executor),
            self.path,
            self.page,
            None,
        )


def time_each(run: Callable[[], Any], iterations: int) -> list[float]:
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def count_fields(value: Any) -> int:
    if isinstance(value, dict):
        return sum(1 + count_fields(item) for item in value.values())
    if isinstance(value, list):
        return sum(count_fields(item) for item in value)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        app, token = seeded_app(directory, args.contacts)
        document = parse(LIST)
        schema = app.extensions["graphql_schema"]._schema
        assert validate(schema, document) == []
        headers = {"Authorization": f"Bearer {token}"}
        with app.test_request_context(headers=headers):
            execution = Execution(app, document, args.contacts)
            results = {name: execution.run(cls) for name, cls in EXECUTORS.items()}
            assert results["fast"] == results["stock"], "the executors disagree"
            times: dict[str, list[float]] = {name: [] for name in EXECUTORS}
            for _ in range(args.rounds):
                for name, executor_class in EXECUTORS.items():
                    times[name] += time_each(
                        lambda cls=executor_class: execution.run(cls),
                        args.iterations,
                    )
            db.session.remove()

    fields = count_fields(results["stock"])
    print(
        f"{args.contacts} contacts, {fields} fields; median of "
        f"{args.rounds} x {args.iterations} executions each "
        f"(CPython {platform.python_version()}, {platform.machine()})"
    )
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        spread = statistics.quantiles(times[name], n=10)
        print(
            f"  {name:5}  {median * 1000:7.3f} ms   "
            f"(p10 {spread[0] * 1000:.3f}, p90 {spread[-1] * 1000:.3f})"
        )
    print(f"  speed-up: {medians['stock'] / medians['fast']:.1f}x")


if __name__ == "__main__":
    main()
