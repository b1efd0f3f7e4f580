"""Core statements compiled once and run as SQL text, for the hottest reads.

On every execution of a Core statement SQLAlchemy builds the statement,
derives its cache key, finds the compiled form and adapts its result
columns: more time, for the listing and the token check, than the database
spends running them. A `CompiledRead` does all of that once per statement
shape and database dialect, then runs the SQL text with `exec_driver_sql`,
which keeps what matters of the engine: its error wrapping, hidden
parameters, disconnect handling and events. The column types' own bind and
result conversions are applied here, as the engine would apply them, so a
row reads the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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
        if self.names is None:
            result = connection.exec_driver_sql(self.sql, parameters)
        else:
            result = connection.exec_driver_sql(
                self.sql, tuple(parameters[name] for name in self.names)
            )
        rows = result.all()
        if not self.result_converters:
            return rows  # type: ignore[return-value]
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
