"""Core statements compiled once and run as SQL text, for the hottest reads.

On every execution of a Core statement SQLAlchemy builds the statement,
derives its cache key, finds the compiled form and adapts its result
columns: more time, for the listing and the token check, than the database
spends running them. Even SQL text gets a result object whose columns are
worked out anew from the cursor's description each time. A `CompiledRead`
compiles once per statement shape and database dialect, then runs its SQL
on the connection's DBAPI cursor through `Connection._cursor_execute`, the
engine's own path for statements it runs on a raw cursor (sequences,
defaults): its events, echo, error wrapping, hidden parameters and
disconnect handling. The rows are the driver's tuples, with the column
types' own bind and result conversions applied here, as the engine would
apply them, so a row reads the same either way. A failure while fetching
goes to `Connection._handle_dbapi_exception`, as the engine's own would.
(Both methods are SQLAlchemy's private ones: requirements.txt pins the
version, and tests/db/test_compiled_reads.py and tests/test_faults.py
hold them to what they must do.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class CompiledRead:
    """A SELECT compiled for one dialect.

    `sql` takes named parameters (`names` is None) or positional ones in
    the order of `names`; `constants` are the values the statement bound
    itself; the converters are the column types' own, by parameter name and
    by result column; `columns` names the result columns.
    """

    sql: str
    columns: tuple[str, ...]
    names: tuple[str, ...] | None
    constants: Mapping[str, Any]
    bind_converters: Mapping[str, Convert]
    result_converters: tuple[tuple[int, Convert], ...]

    @classmethod
    def of(cls, statement: Select[Any], dialect: Dialect) -> CompiledRead:
        compiled = statement.compile(dialect=dialect)
        bind_converters = {}
        for name, bind in compiled.binds.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                bind_converters[name] = convert
        result_converters = []
        for index, column in enumerate(statement.selected_columns):
            convert = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if convert is not None:
                result_converters.append((index, convert))
        positions = compiled.positiontup
        return cls(
            sql=compiled.string,
            columns=tuple(statement.selected_columns.keys()),
            names=tuple(positions) if positions is not None else None,
            constants={
                name: value
                for name, value in compiled.params.items()
                if not compiled.binds[name].required
            },
            bind_converters=bind_converters,
            result_converters=tuple(result_converters),
        )

    def rows(
        self, connection: Connection, values: Mapping[str, Any]
    ) -> list[Sequence[Any]]:
        """The rows for the parameter `values` (which complete `constants`)."""
        parameters = {**self.constants, **values}
        for name, convert in self.bind_converters.items():
            if name in parameters:
                parameters[name] = convert(parameters[name])
        bound: Any = (
            parameters
            if self.names is None
            else tuple(parameters[name] for name in self.names)
        )
        cursor = connection.connection.cursor()
        try:
            connection._cursor_execute(cursor, self.sql, bound)
            try:
                rows = cast(list[Sequence[Any]], cursor.fetchall())
            except Exception as error:
                connection._handle_dbapi_exception(error, self.sql, bound, cursor, None)
        finally:
            cursor.close()
        if not self.result_converters:
            return rows
        return [self._converted(row) for row in rows]

    def _converted(self, row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, convert in self.result_converters:
            values[index] = convert(values[index])
        return values


@lru_cache(maxsize=256)
def compiled(statement: Select[Any], dialect: Dialect) -> CompiledRead:
    """`statement`, a module-level constant, compiled for `dialect` once."""
    return CompiledRead.of(statement, dialect)
