"""Look-ahead: which fields a query selects below the field being resolved,
so that a resolver loads what will be read and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionNode,
)

from app.schema.context import Info
from graphql_fastpath.lru import LruCache

Paths = tuple[tuple[str, ...], ...]
Fragments = Mapping[str, FragmentDefinitionNode]

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
    names: set[str] = set()
    for path in paths:
        level = list(field_nodes)
        for name in path:
            level = [
                field
                for field in _fields_below(level, fragments)
                if field.name.value == name
            ]
        names.update(field.name.value for field in _fields_below(level, fragments))
    return frozenset(names)


def _fields_below(
    fields: Iterable[FieldNode], fragments: Fragments
) -> Iterator[FieldNode]:
    """The fields the selection sets of `fields` select, fragments (named
    or inline) expanded."""
    for field in fields:
        if field.selection_set is not None:
            yield from _expanded(field.selection_set.selections, fragments)


def _expanded(
    selections: Iterable[SelectionNode], fragments: Fragments
) -> Iterator[FieldNode]:
    for selection in selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _expanded(selection.selection_set.selections, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                yield from _expanded(fragment.selection_set.selections, fragments)
