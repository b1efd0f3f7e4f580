"""Look-ahead: which fields a query selects below the field being resolved,
so that a resolver loads what will be read and nothing else."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from strawberry.types.nodes import SelectedField, Selection

from app.schema.context import Info


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields of a selection set, fragments (named or inline) expanded."""
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        else:
            yield from _fields(selection.selections)


def selected_below(info: Info, *paths: tuple[str, ...]) -> set[str]:
    """The names of the fields selected at any of `paths` below the current
    field, e.g. `("edges", "node")`. A field under @skip or @include counts as
    selected: at worst it is loaded and not read."""
    below = [
        child
        for field in _fields(info.selected_fields)
        for child in _fields(field.selections)
    ]
    names: set[str] = set()
    for path in paths:
        level = below
        for name in path:
            level = [
                child
                for field in level
                if field.name == name
                for child in _fields(field.selections)
            ]
        names.update(field.name for field in level)
    return names
