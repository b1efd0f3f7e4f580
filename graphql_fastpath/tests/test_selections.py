"""The walk of fragments that the executor's plans, the app's look-ahead and
its limits share (selections.py): fragments expanded in document order, each
named fragment folded once, cycles and unknown fragments folding to the
empty value, directives and type conditions left to the reader."""

from __future__ import annotations

import time

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from graphql_fastpath.executor import StaticSelections
from graphql_fastpath.selections import SelectedFields, SelectionFold, fragments_of


def operation_selections(document: DocumentNode) -> SelectionSetNode:
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def selected_names(text: str) -> list[str]:
    document = parse(text)
    fields = SelectedFields(fragments_of(document))
    return [field.name.value for field in fields.of(operation_selections(document))]


class CountFields(SelectionFold[int]):
    """Every field once per expansion, and how often `field` was asked."""

    def __init__(self, document: DocumentNode) -> None:
        super().__init__(fragments_of(document))
        self.visits = 0

    def field(self, node: FieldNode) -> int:
        self.visits += 1
        return 1 + self.of(node.selection_set)

    def combine(self, parts: list[int]) -> int:
        return sum(parts)


def fragment_bomb(n: int) -> str:
    """n fragments in about 40n characters selecting 2^n fields."""
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)
    )
    return f"{{ ...F0 }} {fragments} fragment F{n} on Query {{ a }}"


# --- SelectedFields ------------------------------------------------------------------


def test_fields_in_document_order_with_fragments_expanded() -> None:
    assert selected_names(
        "{ a ...F ... on Query { b ... { c } } d } fragment F on Query { e f }"
    ) == ["a", "e", "f", "b", "c", "d"]


def test_the_fields_of_subfields_are_not_selected_at_this_level() -> None:
    assert selected_names("{ a { b { c } } ...F } fragment F on Query { d { e } }") == [
        "a",
        "d",
    ]


def test_a_field_counts_once_per_spread_that_selects_it() -> None:
    assert selected_names("{ ...F a ...F } fragment F on Query { b }") == [
        "b",
        "a",
        "b",
    ]


def test_skip_include_and_type_conditions_are_the_readers_business() -> None:
    assert selected_names(
        "query ($no: Boolean!) { a @skip(if: true) b @include(if: $no)"
        " ... on Other { c } ...F @include(if: false) }"
        " fragment F on Elsewhere { d }"
    ) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "text",
    [
        "{ a ...Missing }",
        "{ a ...F } fragment F on Query { ...G } fragment G on Query { ...F }",
        "{ a ...F } fragment F on Query { ...F }",
    ],
    ids=["unknown fragment", "cycle", "spread of itself"],
)
def test_unknown_and_cyclic_fragments_add_nothing(text: str) -> None:
    assert selected_names(text) == ["a"]


def test_a_leaf_selects_nothing() -> None:
    assert SelectedFields({}).of(None) == ()


def test_fragments_of_a_document_by_name() -> None:
    document = parse("{ ...F } fragment F on Query { a } fragment G on Query { b }")
    assert sorted(fragments_of(document)) == ["F", "G"]


# --- each fragment folded once ----------------------------------------------------


def test_a_fragment_bomb_folds_in_time_linear_in_the_document() -> None:
    n = 60
    document = parse(fragment_bomb(n))
    count = CountFields(document)
    started = time.perf_counter()
    assert count.of(operation_selections(document)) == 2**n
    assert time.perf_counter() - started < 0.5
    assert count.visits == 1  # the one field, in the last fragment


def test_one_fold_remembers_fragments_across_selection_sets() -> None:
    document = parse("{ x { ...F } y { ...F } } fragment F on T { a b }")
    count = CountFields(document)
    assert count.of(operation_selections(document)) == 2 + 2 * 2
    assert count.visits == 4  # x, y, and F's two fields once


# --- the executor's fold: does collecting a selection set meet a directive? -------


def static(text: str) -> bool:
    document = parse(text, experimental_fragment_arguments=True)
    return StaticSelections(fragments_of(document)).of(operation_selections(document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{ a b }", True),
        ("{ a { b @skip(if: true) } }", True),  # a subfield: collected on its own
        ("{ a @skip(if: true) }", False),
        ("{ ... @include(if: true) { a } }", False),
        ("{ ... on Query { a @include(if: true) } }", False),
        ("{ ...F } fragment F on Query { a }", True),
        ("{ ...F ...F } fragment F on Query { a }", True),
        ("{ ...F @skip(if: false) } fragment F on Query { a }", False),
        ("{ ...F } fragment F on Query { a @defer }", False),
        ("{ ...F } fragment F on Query @dir { a }", False),
        ("{ ...F(x: 1) } fragment F($x: Int) on Query { a }", False),
        ("{ ...F } fragment F($x: Int = 1) on Query { a }", False),
        ("{ ...Missing }", False),
        ("{ ...F } fragment F on Query { ...G } fragment G on Query { ...F }", True),
    ],
)
def test_static_selections(text: str, expected: bool) -> None:
    assert static(text) is expected
