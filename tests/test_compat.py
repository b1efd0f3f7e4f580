"""Canaries: each private name of a library that the app relies on outside
graphql_fastpath/ (COMPAT.md) still exists with the shape it relies on.

An upgrade that changes one fails here, with the name and the file that
uses it; graphql_fastpath/tests/test_compat.py holds the executor's.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLSchema, ValidationRule
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    text,
)
from strawberry.extensions import SchemaExtension


def broken(name: str, used_by: str, expected: str) -> str:
    return (
        f"{name} (used by {used_by}) changed: expected {expected}. "
        "See COMPAT.md before upgrading."
    )


def load(dotted: str, used_by: str) -> Any:
    """`module.name` imported, or a failure that names it and its user."""
    parts = dotted.split(".")
    try:
        # The longest importable prefix is the module; the rest, attributes.
        for end in range(len(parts), 0, -1):
            try:
                found: Any = importlib.import_module(".".join(parts[:end]))
            except ImportError:
                continue
            for name in parts[end:]:
                found = getattr(found, name)
            return found
        raise ImportError(dotted)
    except (ImportError, AttributeError):
        raise AssertionError(broken(dotted, used_by, "it to exist")) from None


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


# --- strawberry -----------------------------------------------------------------------

seen_infos: list[Any] = []


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, info: strawberry.Info) -> str:
        seen_infos.append(info)
        return "hi"


def test_info_raw_info() -> None:
    seen_infos.clear()
    result = strawberry.Schema(query=Query).execute_sync(
        "query { ...F } fragment F on Query { hello }"
    )
    assert result.data == {"hello": "hi"}
    raw = getattr(seen_infos[0], "_raw_info", None)
    where = "app/schema/lookahead.py"
    assert raw is not None, broken(
        "strawberry.Info._raw_info", where, "graphql-core's resolve info"
    )
    problem = broken(
        "strawberry.Info._raw_info", where, "the document's field_nodes and fragments"
    )
    assert raw.field_nodes[0].name.value == "hello", problem
    assert set(raw.fragments) == {"F"}, problem


def test_schema_graphql_schema() -> None:
    schema = strawberry.Schema(query=Query)
    assert isinstance(getattr(schema, "_schema", None), GraphQLSchema), broken(
        "strawberry.Schema._schema",
        "app/schema/limits.py, bench/executor.py",
        "the graphql-core GraphQLSchema",
    )


def test_execution_context_provided_operation_name() -> None:
    provided: list[Any] = []

    class Record(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            provided.append(
                getattr(self.execution_context, "_provided_operation_name", KeyError)
            )
            yield

    schema = strawberry.Schema(query=Query, extensions=[Record])
    document = "query A { hello } query B { hello }"
    schema.execute_sync(document, operation_name="B")
    schema.execute_sync("{ hello }")
    assert provided == ["B", None], broken(
        "strawberry.types.ExecutionContext._provided_operation_name",
        "app/schema/parsing.py",
        "the operationName as given, None when none was",
    )


def test_strawberry_internal_modules() -> None:
    resolver = load(
        "strawberry.extensions.field_extension.SyncExtensionResolver",
        "app/schema/throttling.py",
    )
    parse_content_type = load(
        "strawberry.http.parse_content_type.parse_content_type", "app/schema/view.py"
    )
    rules = [
        load(f"strawberry.schema.validation_rules.{name}", "app/schema/limits.py")
        for name in (
            "maybe_null.MaybeNullValidationRule",
            "one_of.OneOfInputValidationRule",
        )
    ]
    to_camel_case = load(
        "strawberry.utils.str_converters.to_camel_case",
        "app/fields.py, app/schema/contact.py",
    )

    for rule in rules:
        assert issubclass(rule, ValidationRule), broken(
            f"strawberry.schema.validation_rules.{rule.__name__}",
            "app/schema/limits.py",
            "a graphql-core ValidationRule",
        )
    assert parse_content_type("application/json; charset=utf-8") == (
        "application/json",
        {"charset": "utf-8"},
    ), broken(
        "strawberry.http.parse_content_type.parse_content_type",
        "app/schema/view.py",
        "(media type, parameters)",
    )
    assert to_camel_case("first_name") == "firstName", broken(
        "strawberry.utils.str_converters.to_camel_case",
        "app/fields.py, app/schema/contact.py",
        "strawberry's field-name conversion",
    )
    assert resolver is not None, broken(
        "strawberry.extensions.field_extension.SyncExtensionResolver",
        "app/schema/throttling.py",
        "a type",
    )


# --- SQLAlchemy -----------------------------------------------------------------------


def test_connection_cursor_execute_and_handle_dbapi_exception() -> None:
    where = "app/db/compiled_reads.py"
    cursor_execute = load("sqlalchemy.Connection._cursor_execute", where)
    handle_dbapi_exception = load(
        "sqlalchemy.Connection._handle_dbapi_exception", where
    )
    assert parameters(cursor_execute) == [
        "self",
        "cursor",
        "statement",
        "parameters",
        "context",
    ], broken(
        "sqlalchemy.Connection._cursor_execute",
        where,
        "(cursor, statement, parameters, context=None)",
    )
    assert parameters(handle_dbapi_exception) == [
        "self",
        "e",
        "statement",
        "parameters",
        "cursor",
        "context",
        "is_sub_exec",
    ], broken(
        "sqlalchemy.Connection._handle_dbapi_exception",
        where,
        "(e, statement, parameters, cursor, context, is_sub_exec=False)",
    )
    engine = create_engine("sqlite://")
    statements: list[str] = []
    event.listen(
        engine, "before_cursor_execute", lambda *args: statements.append(args[2])
    )
    with engine.connect() as connection:
        cursor = connection.connection.cursor()
        connection._cursor_execute(cursor, "select ?", (1,))
        assert cursor.fetchall() == [(1,)]
        cursor.close()
        connection.execute(text("select 2"))
    engine.dispose()
    assert statements == ["select ?", "select 2"], broken(
        "sqlalchemy.Connection._cursor_execute",
        where,
        "to run the statement with the engine's cursor events",
    )


def test_conditional_ddl_rule() -> None:
    table = Table("t", MetaData(), Column("a", Integer))
    only_here = Index("ix_only", table.c.a).ddl_if(dialect="postgresql")
    everywhere = Index("ix_all", table.c.a)
    rule = getattr(only_here, "_ddl_if", KeyError)
    assert getattr(rule, "dialect", None) == "postgresql", broken(
        "sqlalchemy HasConditionalDDL._ddl_if",
        "migrations/env.py, tests/test_migrations.py",
        "the ddl_if() rule, with its dialect",
    )
    assert getattr(everywhere, "_ddl_if", KeyError) is None, broken(
        "sqlalchemy HasConditionalDDL._ddl_if",
        "migrations/env.py, tests/test_migrations.py",
        "None without ddl_if()",
    )


def test_pool_pre_ping() -> None:
    engine = create_engine("sqlite://", pool_pre_ping=True)
    assert getattr(engine.pool, "_pre_ping", None) is True, broken(
        "sqlalchemy Pool._pre_ping",
        "tests/test_lockdown.py",
        "the engine's pool_pre_ping option",
    )
    engine.dispose()
