"""Look-ahead: which fields a query selects below the field being resolved,
so that a resolver loads what will be read and nothing else. Fragments are
expanded by the walk the executor and the limits share
(graphql_fastpath/selections.py), each once per answer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from graphql import FieldNode, value_from_ast_untyped
from strawberry.types.nodes import get_variable_values

from app.schema.context import Info
from graphql_fastpath.lru import LruCache
from graphql_fastpath.selections import Fragments, SelectedFields

Paths = tuple[tuple[str, ...], ...]

# Answers by field nodes and paths. The answer depends on the document
# alone, and strawberry's ParserCache hands every request with the same text
# the same nodes; each entry holds its nodes, so that their ids stay theirs.
_ANSWERS: LruCache[tuple[tuple[int, ...], Paths], tuple[object, frozenset[str]]] = (
    LruCache(1024)
)


def selected_below(info: Info, *paths: tuple[str, ...]) -> frozenset[str]:
    """The names of the fields selected at any of `paths` below the current
    field, e.g. `("edges", "node")`. A field under @skip or @include counts as
    selected: at worst it is loaded and not read."""
    # graphql-core's own ResolveInfo: the document's nodes, not strawberry's
    # copies of them (which convert every argument on every request).
    raw = info._raw_info
    key = (tuple(map(id, raw.field_nodes)), paths)
    known = _ANSWERS.get(key)
    if known is not None:
        return known[1]
    names = _names_at(raw.field_nodes, raw.fragments, paths)
    _ANSWERS.put(key, (raw.field_nodes, names))
    return names


def _names_at(
    field_nodes: Sequence[FieldNode], fragments: Fragments, paths: Paths
) -> frozenset[str]:
    selected = SelectedFields(fragments)
    names: set[str] = set()
    for path in paths:
        level = _fields_at(field_nodes, selected, path)
        names.update(field.name.value for field in _fields_below(level, selected))
    return frozenset(names)


def arguments_at(info: Info, path: tuple[str, ...], argument: str) -> list[Any]:
    """The value of `argument` for each field at `path` below the current
    field (each alias or repeat), with the request's variables; None for a
    field that does not give it. What a resolver reads to load for a field
    below it, such as a nested list's page size."""
    raw = info._raw_info
    variables = get_variable_values(raw)
    values = []
    for field in _fields_at(raw.field_nodes, SelectedFields(raw.fragments), path):
        given = [
            node.value for node in field.arguments or () if node.name.value == argument
        ]
        values.append(value_from_ast_untyped(given[0], variables) if given else None)
    return values


def _fields_at(
    field_nodes: Sequence[FieldNode], selected: SelectedFields, path: tuple[str, ...]
) -> list[FieldNode]:
    level = list(field_nodes)
    for name in path:
        level = [
            field
            for field in _fields_below(level, selected)
            if field.name.value == name
        ]
    return level


def _fields_below(
    fields: Iterable[FieldNode], selected: SelectedFields
) -> Iterator[FieldNode]:
    """The fields the selection sets of `fields` select, fragments (named
    or inline) expanded."""
    for field in fields:
        yield from selected.of(field.selection_set)
