"""The one walker of fragments: what a selection set selects once its
fragment spreads and inline fragments are expanded, folded into one value,
each named fragment folded once.

Three readers of a document need this walk, each for a different answer,
so each subclasses `SelectionFold` with what one field adds and how the
parts of a selection set combine:

- the executor's document plans (`executor.py`): whether collecting a
  selection set meets a directive or a fragment argument, that is whether
  it collects alike on every request;
- the app's look-ahead (`app/schema/lookahead.py`): which fields a query
  selects below the field being resolved (`SelectedFields`);
- the app's limits (`app/schema/limits.py`): a document's fields, depth and
  aliases, and an operation's cost in list items.

Expanding fragments is exponential in a document's size (each of n fragments
spreading the next twice selects 2^n fields), so a fold remembers what each
named fragment folds to and costs time linear in the document. A spread
inside its own expansion (a cycle, which validation refuses) and a spread
of a fragment the document does not define fold to the empty value.

The walk applies neither @skip and @include nor type conditions: each
reader answers for the document whatever the variables and the runtime
types (limits for any variable values, look-ahead for whichever type the
value turns out to be, the plans to find out whether a directive has a
say), so each folds every selection. Collecting a selection set for one
request's variables and runtime type stays graphql-core's `collect_fields`,
which the executor calls so that it collects exactly as the stock one.

A fold remembers the fragments it is expanding: make one per walk (or per
document, in one thread), not one shared by threads.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from itertools import chain
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

T = TypeVar("T")

Fragments = Mapping[str, FragmentDefinitionNode]


class SelectionFold(ABC, Generic[T]):
    """Folds the selections of a selection set, fragments expanded, into
    one value. Subclasses say what a field adds (`field`, which descends
    into the field's own selection set with `of` if the answer needs it)
    and how parts combine (`combine`); they may override what a fragment
    adds (`inline_fragment`, `fragment_spread`) to look at its directives."""

    def __init__(self, fragments: Fragments) -> None:
        self.fragments = fragments
        self._folded: dict[str, T] = {}
        self._open: set[str] = set()
        # What each kind of selection adds, looked up by the node's `kind`:
        # one call per selection, as a hand-written walk makes (limits fold
        # the cost of every request). Any: each takes its own kind of node.
        self._part_of: dict[str, Callable[[Any], T]] = {
            FieldNode.kind: self.field,
            InlineFragmentNode.kind: self.inline_fragment,
            FragmentSpreadNode.kind: self.fragment_spread,
        }
        # What a leaf, an unknown fragment or a cycle adds, worked out once
        # (of no parts, so whatever a subclass sets after this call).
        self.empty = self.combine([])

    @abstractmethod
    def field(self, node: FieldNode) -> T:
        """What one selected field adds."""

    @abstractmethod
    def combine(self, parts: list[T]) -> T:
        """The parts of one selection set, in document order, as one value;
        of no parts, the empty value (asked once, by `__init__`)."""

    def of(self, selection_set: SelectionSetNode | None) -> T:
        """What `selection_set` (None: a leaf field's) selects, folded."""
        if selection_set is None:
            return self.empty
        part_of = self._part_of
        return self.combine(
            [
                part_of[selection.kind](selection)
                for selection in selection_set.selections
            ]
        )

    def inline_fragment(self, node: InlineFragmentNode) -> T:
        return self.of(node.selection_set)

    def fragment_spread(self, node: FragmentSpreadNode) -> T:
        return self.fragment(node.name.value)

    def fragment(self, name: str) -> T:
        """What the named fragment selects, folded once per fold: the empty
        value for a fragment the document lacks or one being expanded."""
        if name in self._folded:
            return self._folded[name]
        definition = self.fragments.get(name)
        if definition is None or name in self._open:
            return self.empty
        self._open.add(name)
        try:
            folded = self._folded[name] = self.of(definition.selection_set)
        finally:
            self._open.discard(name)
        return folded


class SelectedFields(SelectionFold[tuple[FieldNode, ...]]):
    """The fields a selection set selects, in document order, fragments
    expanded: a field once for each spread that selects it."""

    def field(self, node: FieldNode) -> tuple[FieldNode, ...]:
        return (node,)

    def combine(self, parts: list[tuple[FieldNode, ...]]) -> tuple[FieldNode, ...]:
        return tuple(chain.from_iterable(parts))


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The document's fragment definitions by name."""
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


__all__ = ["Fragments", "SelectedFields", "SelectionFold", "fragments_of"]
