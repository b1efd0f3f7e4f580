"""The fast executor answers exactly as the stock one, on a small schema whose
resolvers return odd values on purpose: nulls for non-null types in objects
and list items, attributes that raise, values their scalar or enum refuses,
tuples, generators, exceptions as values, an object of the wrong type,
awaitables, and middleware. Every case sends the fast path back to the stock
one somewhere; data and errors (message, path, locations, extensions) must
be equal. The plans a document shares between its requests are held to the
same answers.

tests/graphql/test_executor_differential.py compares the two executors on
the app itself, over HTTP.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import partial
from types import SimpleNamespace
from typing import Any, NewType

import graphql
import pytest
import strawberry
from graphql.pyutils import Undefined
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult

from graphql_fastpath import executor
from graphql_fastpath.executor import PLANS_PER_DOCUMENT, DocumentCache, FastExecutor

# --- a schema that returns odd values on purpose ----------------------------------


@strawberry.enum
class Mood(Enum):
    CALM = "calm"
    CROSS = "cross"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    name: str
    legs: int | None


Code = NewType("Code", str)
# A scalar whose output coercion gives null for "none", which GraphQL refuses.
CONFIG = StrawberryConfig(
    scalar_map={
        Code: strawberry.scalar(
            name="Code",
            serialize=lambda value: None if value == "none" else value,
            parse_value=str,
        )
    }
)


@strawberry.type
class Stamp:
    """A type with an is_type_of of its own, which reads its info."""

    mark: str

    @classmethod
    def is_type_of(cls, obj: Any, info: strawberry.Info) -> bool:
        return info.field_name == "stamp" and hasattr(obj, "mark")


class Deny(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Reading:
    text: str
    note: str | None
    count: int
    ratio: float | None
    on: bool
    mood: Mood
    at: datetime | None
    day: date | None
    ref: strawberry.ID


@strawberry.type
class Box:
    reading: Reading
    maybe_reading: Reading | None
    readings: list[Reading]
    loose_readings: list[Reading | None] | None
    words: list[str] | None
    grid: list[list[int]] | None
    pet: Pet | None
    pets: list[Pet]
    named: Named | None
    inner: Box | None
    code: Code | None
    stamp: Stamp | None
    secret: str | None = strawberry.field(permission_classes=[Deny])

    @strawberry.field
    def doubled(self, times: int = 2) -> int:
        return 21 * times


class Raising:
    """A reading whose text cannot be read."""

    def __getattr__(self, name: str) -> Any:
        if name == "text":
            raise ValueError("the text is unreadable")
        return getattr(reading(), name)


class Source(SimpleNamespace):
    """An object with attributes, standing in for what resolvers return.
    An `OnRead` value is made anew on each read (an awaitable, say)."""

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        return value.make() if isinstance(value, OnRead) else value


@dataclass(frozen=True)
class OnRead:
    make: Callable[[], Any]


def reading(**changes: Any) -> Source:
    values: dict[str, Any] = {
        "text": "hello",
        "note": None,
        "count": 3,
        "ratio": 0.5,
        "on": True,
        "mood": Mood.CALM,
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2024, 2, 29),
        "ref": "r1",
    }
    return Source(**{**values, **changes})


def box(**changes: Any) -> Source:
    values: dict[str, Any] = {
        "reading": reading(),
        "maybe_reading": None,
        "readings": [reading(), reading(note="second")],
        "loose_readings": [None, reading(count=4)],
        "words": ["a", "b"],
        "grid": [[1, 2], [3]],
        "pet": Pet(name="Rex", legs=4),
        "pets": [Pet(name="Tom", legs=None)],
        "named": Pet(name="Nemo", legs=0),
        "inner": None,
        "code": "c1",
        "stamp": Source(mark="m"),
        "secret": "hidden",
    }
    return Source(**{**values, **changes})


CASES: dict[str, Callable[[], Any]] = {
    "ordinary": lambda: box(inner=box()),
    "null in a non-null leaf": lambda: box(reading=reading(text=None)),
    "null in a non-null list item": lambda: box(readings=[reading(), None]),
    "null below a non-null list item": lambda: box(readings=[reading(text=None)]),
    "null below a nullable list item": lambda: box(
        loose_readings=[reading(mood=None), reading()], words=None, grid=None
    ),
    "null for a non-null list": lambda: box(readings=None, pets=None),
    "an attribute that raises": lambda: box(
        readings=[reading(), Raising()], maybe_reading=Raising()
    ),
    "an attribute that is missing": lambda: SimpleNamespace(
        **{k: v for k, v in vars(box()).items() if k not in ("grid", "reading")}
    ),
    "values the scalars refuse": lambda: box(
        maybe_reading=reading(mood="angry", on="yes"),
        loose_readings=[
            reading(at="yesterday"),
            reading(ratio=float("inf")),
            reading(count=2**40),
        ],
        words=["a", ["nested"], 5, True, None],
        grid=[[1, "2", 2.5], [None]],
        code="none",
        stamp=Source(other="m"),
    ),
    "values the scalars convert": lambda: box(
        reading=reading(text=12, count=True, ratio=7, ref=42, note=False),
        words=[1.5, 2],
    ),
    "tuples and generators": lambda: box(
        readings=(reading(), reading()),
        words=(word for word in ["x", "y"]),
        grid=[(1, 2), iter([3])],
        pets=(Pet(name="Tup", legs=2),),
    ),
    "not lists": lambda: box(readings=5, words="abc", grid=[4]),
    "exceptions and undefined as values": lambda: box(
        reading=reading(note=ValueError("a value")),
        maybe_reading=reading(text=Undefined),
        words=[RuntimeError("in a list")],
    ),
    "an object of the wrong type": lambda: box(
        pet=SimpleNamespace(name="Imposter", legs=1),
        pets=[Pet(name="Real", legs=4), SimpleNamespace(name="Fake", legs=3)],
        named=SimpleNamespace(name="Unknown"),
    ),
}


@strawberry.type
class Query:
    @strawberry.field
    def box(self, case: str) -> Box | None:
        return CASES[case]()

    @strawberry.field
    def boxes(self, case: str) -> list[Box | None]:
        return [CASES[case](), box()]

    @strawberry.field
    def required_box(self, case: str) -> Box:
        return CASES[case]()


BOX_QUERY = """
query Boxes($case: String!, $yes: Boolean = true) {
  box(case: $case) { ...Everything }
  boxes(case: $case) { ...Everything again: reading { text } }
  requiredBox(case: $case) { readings { text } pets { name } }
}
fragment Everything on Box {
  __typename
  reading { ...R }
  maybeReading { ...R }
  readings { ...R }
  looseReadings { ...R }
  words grid
  pet { __typename name legs }
  pets { name }
  named { __typename name ... on Pet { legs } }
  inner { doubled secret }
  code
  stamp { mark }
  secret
  doubled(times: 3)
  same: reading { text @include(if: $yes) note @skip(if: true) count }
}
fragment R on Reading { text note count ratio on mood at day ref __typename }
"""


def executed(schema: strawberry.Schema, case: str) -> tuple[Any, list[Any]]:
    result = schema.execute_sync(BOX_QUERY, {"case": case})
    return outcome(result)


def outcome(result: ExecutionResult) -> tuple[Any, list[Any]]:
    """The data, and each error as a client sees it plus its cause's type."""
    errors = [
        (error.formatted, type(error.original_error)) for error in result.errors or ()
    ]
    return result.data, errors


def both() -> dict[str, strawberry.Schema]:
    return {
        "fast": strawberry.Schema(
            query=Query, execution_context_class=FastExecutor, config=CONFIG
        ),
        "stock": strawberry.Schema(query=Query, config=CONFIG),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_odd_values_get_the_same_answer(case: str) -> None:
    schemas = both()
    fast, stock = (executed(schemas[name], case) for name in ("fast", "stock"))
    assert fast == stock
    if case != "ordinary":
        assert stock[1], "the case should make errors"


def test_ordinary_values_take_the_fast_path() -> None:
    data, errors = executed(both()["fast"], "ordinary")
    assert [error["message"] for error, _ in errors] == ["Not for you."] * 5
    assert [error["path"] for error, _ in errors] == [
        ["box", "inner", "secret"],
        ["box", "secret"],
        ["boxes", 0, "inner", "secret"],
        ["boxes", 0, "secret"],
        ["boxes", 1, "secret"],
    ]
    assert data["box"]["reading"] == {
        "text": "hello",
        "note": None,
        "count": 3,
        "ratio": 0.5,
        "on": True,
        "mood": "CALM",
        "at": "2024-01-02T03:04:05+00:00",
        "day": "2024-02-29",
        "ref": "r1",
        "__typename": "Reading",
    }
    assert data["box"]["named"] == {"__typename": "Pet", "name": "Nemo", "legs": 0}


def test_middleware_sees_every_field_with_either_executor() -> None:
    seen: dict[str, list[tuple[str | int, ...]]] = {"fast": [], "stock": []}

    def recorder(paths: list[tuple[str | int, ...]]) -> type[SchemaExtension]:
        class Record(SchemaExtension):
            def resolve(
                self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any
            ) -> Any:
                paths.append(tuple(info.path.as_list()))
                return _next(root, info, *args, **kwargs)

        return Record

    results = {
        name: outcome(
            strawberry.Schema(
                query=Query,
                execution_context_class=FastExecutor if name == "fast" else None,
                extensions=[recorder(paths)],
                config=CONFIG,
            ).execute_sync(BOX_QUERY, {"case": "ordinary"})
        )
        for name, paths in seen.items()
    }
    assert results["fast"] == results["stock"]
    assert seen["fast"] == seen["stock"]
    assert ("box", "reading", "text") in seen["fast"]


# --- awaitables -------------------------------------------------------------------


async def later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


async def failing() -> Any:
    await asyncio.sleep(0)
    raise ValueError("failed later")


ASYNC_CASES: dict[str, Callable[[], Any]] = {
    "awaitable attributes": lambda: box(
        reading=reading(
            text=OnRead(lambda: later("soon")), count=OnRead(lambda: later(2**40))
        ),
        maybe_reading=OnRead(lambda: later(reading())),
    ),
    "awaitable list items": lambda: box(
        readings=OnRead(lambda: [reading(), later(reading(note="later"))]),
        loose_readings=OnRead(lambda: [later(None), failing()]),
        words=OnRead(lambda: [later("w"), "x"]),
    ),
    "awaitables below list items": lambda: box(
        readings=[reading(text=OnRead(lambda: later("x")))],
        loose_readings=[reading(text=OnRead(failing))],
    ),
    "an awaitable generator": lambda: box(
        words=OnRead(lambda: (word for word in [later("g")]))
    ),
    "an awaitable that fails": lambda: box(
        reading=OnRead(failing), pets=OnRead(failing)
    ),
    "a failing awaitable below a nullable field": lambda: box(
        maybe_reading=reading(text=OnRead(failing))
    ),
    "an awaitable next to a failure": lambda: box(
        maybe_reading=OnRead(lambda: later(reading())), readings=None
    ),
    "a failure after an awaitable list item": lambda: box(
        readings=OnRead(lambda: [later(reading()), reading(text=None)])
    ),
}


@strawberry.type
class AsyncQuery:
    @strawberry.field
    async def box(self, case: str) -> Box | None:
        return ASYNC_CASES[case]()

    @strawberry.field
    async def boxes(self, case: str) -> list[Box | None]:
        return [ASYNC_CASES[case](), box()]

    @strawberry.field
    async def required_box(self, case: str) -> Box:
        return ASYNC_CASES[case]()


@pytest.mark.parametrize("case", list(ASYNC_CASES))
def test_awaitables_get_the_same_answer(case: str) -> None:
    async def run(schema: strawberry.Schema) -> tuple[Any, list[Any]]:
        return outcome(await schema.execute(BOX_QUERY, {"case": case}))

    fast = asyncio.run(
        run(
            strawberry.Schema(
                query=AsyncQuery, execution_context_class=FastExecutor, config=CONFIG
            )
        )
    )
    stock = asyncio.run(run(strawberry.Schema(query=AsyncQuery, config=CONFIG)))
    assert fast == stock
    assert stock[1]


DEFER_QUERIES = [
    """
    query Deferred($case: String!) {
      box(case: $case) {
        words
        reading { text ... @defer { note count } }
        ... @defer(label: "later") { readings { text } pets { name } }
      }
    }
    """,
    """
    query DeferredBelow($case: String!) {
      box(case: $case) { words readings { text ... @defer { note } } }
    }
    """,
]


@pytest.mark.parametrize("query", DEFER_QUERIES)
@pytest.mark.parametrize(
    "case", ["awaitable list items", "awaitables below list items"]
)
def test_deferred_fragments_get_the_same_answer(query: str, case: str) -> None:
    config = StrawberryConfig(
        enable_experimental_incremental_execution=True, scalar_map=CONFIG.scalar_map
    )

    async def run(schema: strawberry.Schema) -> list[Any]:
        result: Any = await schema.execute(query, {"case": case})
        payloads = [result.initial_result.formatted]
        async for subsequent in result.subsequent_results:
            payloads.append(subsequent.formatted)
        return payloads

    fast = asyncio.run(
        run(
            strawberry.Schema(
                query=AsyncQuery, execution_context_class=FastExecutor, config=config
            )
        )
    )
    stock = asyncio.run(run(strawberry.Schema(query=AsyncQuery, config=config)))
    assert fast == stock
    assert len(stock) > 1  # something was deferred


# --- plans shared by the requests of one document ---------------------------------

VARYING_QUERY = """
query Varying($case: String!, $a: Boolean!, $b: Boolean!) {
  box(case: $case) {
    reading { text @include(if: $a) note @skip(if: $b) count }
    readings { ... on Reading @include(if: $b) { text } ...R @skip(if: $a) }
    inner { words @include(if: $a) pets { name ... @include(if: $b) { legs } } }
    pets { name ...Legs }
  }
}
fragment R on Reading { note mood }
fragment Legs on Pet { legs @skip(if: $a) }
"""
VARIABLES = [
    {"a": a, "b": b} for a, b in [(True, True), (True, False), (False, True)]
] + [{"a": False, "b": False}, {"a": True, "b": True}]


def cached_schemas() -> dict[str, strawberry.Schema]:
    """Both executors behind strawberry's ParserCache, as in the app: every
    request with the same text executes the same document."""
    return {
        name: strawberry.Schema(
            query=Query,
            execution_context_class=FastExecutor if name == "fast" else None,
            extensions=[partial(ParserCache, maxsize=8)],
            config=CONFIG,
        )
        for name in ("fast", "stock")
    }


@pytest.mark.parametrize("plans_per_document", [PLANS_PER_DOCUMENT, 3])
def test_shared_plans_answer_each_request_alike(
    plans_per_document: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One document after another with odd values and with @skip and
    @include on variables: what an earlier request planned never answers
    for a later one, whether the document's plans are full or not."""
    monkeypatch.setattr(executor, "PLANS_PER_DOCUMENT", plans_per_document)
    schemas = cached_schemas()
    requests = [(BOX_QUERY, {"case": case}) for case in CASES] + [
        (VARYING_QUERY, {"case": "ordinary", **variables}) for variables in VARIABLES
    ]
    for query, variables in requests * 2:
        fast, stock = (
            outcome(schemas[name].execute_sync(query, variables))
            for name in ("fast", "stock")
        )
        assert fast == stock, (query, variables)


def test_a_document_is_planned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a later request only the operation's own selection set, which
    graphql-core collects anew, and those with @skip or @include are planned
    again: `same: reading { text @include(if: $yes) ... }` below `box` and
    below `boxes`."""
    planned: list[str] = []
    plan_steps = executor.plan_steps

    def counted(*args: Any) -> Any:
        planned.append(args[1].name)
        return plan_steps(*args)

    monkeypatch.setattr(executor, "plan_steps", counted)
    schema = cached_schemas()["fast"]
    first = outcome(schema.execute_sync(BOX_QUERY, {"case": "ordinary"}))
    assert len(planned) > 1
    planned.clear()
    assert outcome(schema.execute_sync(BOX_QUERY, {"case": "ordinary"})) == first
    assert planned == ["Query", "Reading", "Reading"]


def test_the_document_cache_keeps_the_most_recent_documents() -> None:
    cache = DocumentCache(2)
    operations = [
        graphql.parse(f"{{ box(case: {index}) {{ code }} }}").definitions[0]
        for index in range(3)
    ]
    plans = [cache.get(operation, {}) for operation in operations]  # type: ignore[arg-type]
    assert cache.get(operations[2], {}) is plans[2]  # type: ignore[arg-type]
    assert cache.get(operations[1], {}) is plans[1]  # type: ignore[arg-type]
    assert cache.get(operations[0], {}) is not plans[0]  # type: ignore[arg-type]
