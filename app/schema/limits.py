"""Limits on what one GraphQL document may ask, checked before any resolver runs.

Parsing stops after `MAX_QUERY_TOKENS` tokens. Validation then counts
directives (one error for a flood, where graphql-core would report each
repeat), the fields of the document once its fragments are expanded
(`MAX_QUERY_FIELDS`), its depth and aliases, and runs the spec's rules; it
returns at most `MAX_VALIDATION_ERRORS` errors, each distinct one once with
all its locations, and leaves out "Did you mean …?" suggestions unless
`FIELD_SUGGESTIONS` is on (in variable values too, which are coerced here).
Last comes the query cost: in the spirit of GitHub's node limit, every list
item the response may hold, each list at its largest.

Fragments make a document's expansion exponential in its size (each of n
fragments spreading the next twice selects 2^n fields), so every walk here
remembers what each fragment adds and costs time linear in the document:
both are folds of graphql_fastpath/selections.py, the walk of fragments the
executor and the look-ahead share; what a field counts is this module's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    get_variable_values,
    visit,
)
from graphql.language import (
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from graphql.validation import validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.config import LIMITS
from app.schema.document_cache import ValidQueries
from app.schema.parsing import VALIDATION_FAILED
from app.services.birthdays import MAX_RESULTS
from app.services.contact_input import LIST_MAX_ITEMS
from app.services.imports import most_records
from graphql_fastpath.selections import Fragments, SelectionFold, fragments_of

# Fields whose page size multiplies the cost of everything below them, with
# the page size used when the query gives none: the connections, and
# `upcomingBirthdays` (a plain list, at most its `first`, by default its cap).
# `contacts` is also a duplicate group's list (`DuplicateGroup.contacts`),
# sized by its `first` the same way.
CONNECTION_DEFAULT_SIZES = {
    "contacts": 20,
    "duplicateContacts": 20,
    "trash": 20,
    "history": 20,
    "contactChanges": 20,
    "upcomingBirthdays": MAX_RESULTS,
}
# Lists of a connection: one item per element of its page (the page size is
# already in the multiplier), each counted, `edges` and `nodes` alike, and
# contactChanges' `changes` (a name a revision's list of changed fields
# shares: counted one per revision too, short as that list is).
PAGE_LISTS = frozenset({"edges", "nodes", "changes"})
# A contact's lists, at the most items input validation lets one hold.
# `Query.tags` shares the name and is counted alike: an account's tags are
# not bounded, so no count would be exact.
# Batch mutations, by the argument that lists their items: each item counts
# one, and the payload's `contacts` holds one contact per item.
BATCH_ITEMS = {
    "createContacts": "input",
    "updateContacts": "input",
    "deleteContacts": "ids",
}
BATCH_PAYLOAD_LISTS = ("contacts",)
# importContacts counts one per record of its file (`imports.most_records`,
# found without parsing it, at most IMPORT_MAX_RECORDS: a longer file is
# refused), and its payload's `records` hold one per record.
IMPORT_FIELD = "importContacts"
IMPORT_PAYLOAD_LISTS = ("records",)
CONTACT_LISTS = {
    "emails": LIST_MAX_ITEMS,
    "phones": LIST_MAX_ITEMS,
    "addresses": LIST_MAX_ITEMS,
    "tags": LIST_MAX_ITEMS,
}


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    max_fields: int
    max_depth: int
    max_aliases: int
    max_directives: int
    max_validation_errors: int
    max_cost: int
    suggestions: bool
    max_import_records: int = LIMITS["IMPORT_MAX_RECORDS"]

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """The limits a Flask config asks for, else the defaults."""

        def get(name: str) -> int:
            value: int = settings.get(name, LIMITS[name])
            return value

        return cls(
            max_tokens=get("MAX_QUERY_TOKENS"),
            max_fields=get("MAX_QUERY_FIELDS"),
            max_depth=get("MAX_QUERY_DEPTH"),
            max_aliases=get("MAX_QUERY_ALIASES"),
            max_directives=get("MAX_QUERY_DIRECTIVES"),
            max_validation_errors=get("MAX_VALIDATION_ERRORS"),
            max_cost=get("MAX_QUERY_COST"),
            suggestions=bool(settings.get("FIELD_SUGGESTIONS", False)),
            max_import_records=get("IMPORT_MAX_RECORDS"),
        )


class QueryLimits(SchemaExtension):
    def __init__(self, *, limits: Limits, valid_queries: ValidQueries) -> None:
        self.limits = limits
        self.valid_queries = valid_queries

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield

    def on_validate(self) -> Iterator[None]:
        """Validate here, so that strawberry's own validation is skipped
        (it runs only while `pre_execution_errors` is None)."""
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = self.errors(
                document, context.validation_rules, context.variables or {}
            )
        yield

    def errors(
        self,
        document: DocumentNode,
        rules: tuple[Any, ...],
        variables: Mapping[str, Any],
    ) -> list[GraphQLError]:
        """The document's errors, from the cache when its text was checked
        before (a refusal as much as a pass), then those of the operation."""
        query = self.execution_context.query
        known = None if query is None else self.valid_queries.get(query)
        if known is None:
            known = tuple(self.document_errors(document, rules))
            if query is not None:
                self.valid_queries.put(query, known)
        if known:
            return list(known)
        return self.operation_errors(document, variables)

    def document_errors(
        self, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        """What is wrong with the document whatever the variables: too many
        directives or fields, too deep, too many aliases, or invalid. The
        counts come first, so that the spec's rules never see a document
        whose expansion is over the limit."""
        limits = self.limits
        directives = count_directives(document)
        if directives > limits.max_directives:
            return [
                GraphQLError(
                    f"The query has {directives} directives; "
                    f"the limit is {limits.max_directives}."
                )
            ]
        shapes = DocumentShapes(document)
        fields = shapes.fields()
        if fields > limits.max_fields:
            return [
                GraphQLError(
                    f"The query has {fields} fields once fragments are expanded; "
                    f"the limit is {limits.max_fields} (MAX_QUERY_FIELDS)."
                )
            ]
        counted = [
            *shapes.depth_errors(limits.max_depth),
            *shapes.alias_errors(limits.max_aliases),
        ]
        budget = limits.max_validation_errors - len(counted)
        if budget <= 0:
            return counted
        invalid = validate(
            self.execution_context.schema._schema,
            document,
            (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
            max_errors=budget,
            hide_suggestions=not limits.suggestions,
        )
        return counted + merge_repeats([validation_failed(e) for e in invalid])

    def operation_errors(
        self, document: DocumentNode, variables: Mapping[str, Any]
    ) -> list[GraphQLError]:
        """Bad variables, or a cost over the limit with these variables."""
        limits = self.limits
        operation_name = self.execution_context.operation_name
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return []  # execution reports the missing or ambiguous operation
        # Coerce the variables as execution will (defaults, whole floats for
        # Int), so that the cost sees the page sizes that would run.
        coerced = get_variable_values(
            self.execution_context.schema._schema,
            operation.variable_definitions or (),
            dict(variables),
            max_errors=limits.max_validation_errors,
            hide_suggestions=not limits.suggestions,
        )
        if isinstance(coerced, list):
            return coerced
        cost = query_cost(
            document, coerced.coerced, operation_name, limits.max_import_records
        )
        self.execution_context.context.query_cost = cost
        if cost > limits.max_cost:
            return [
                GraphQLError(
                    f"The query may return {cost} nodes; the limit is "
                    f"{limits.max_cost}. Ask for smaller pages (first/last)."
                )
            ]
        return []


def validation_failed(error: GraphQLError) -> GraphQLError:
    """A rule of the GraphQL spec (or introspection being off) refused the
    document: `GRAPHQL_VALIDATION_FAILED`, as Apollo Server says. The
    server's own limits stay `BAD_USER_INPUT`."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        extensions={**(error.extensions or {}), "code": VALIDATION_FAILED},
    )


def merge_repeats(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Each distinct message once, with the locations of all its repeats
    (`@aa @aa @aa` is one unknown directive, not three)."""
    merged: dict[str, list[GraphQLError]] = {}
    for error in errors:
        merged.setdefault(error.message, []).append(error)
    return [
        group[0] if len(group) == 1 else _merged(group) for group in merged.values()
    ]


def _merged(group: list[GraphQLError]) -> GraphQLError:
    first = group[0]
    return GraphQLError(
        first.message,
        nodes=[node for error in group for node in error.nodes or ()],
        extensions=first.extensions,
    )


class _DirectiveCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.count += 1


def count_directives(document: DocumentNode) -> int:
    counter = _DirectiveCounter()
    visit(document, counter)
    return counter.count


@dataclass(frozen=True)
class Shape:
    """What a selection set selects once its fragments are expanded."""

    fields: int
    depth: int  # fields with a selection set along the deepest path
    aliases: int

    def __add__(self, other: Shape) -> Shape:
        return Shape(
            self.fields + other.fields,
            max(self.depth, other.depth),
            self.aliases + other.aliases,
        )


EMPTY = Shape(0, 0, 0)


class DocumentShapes(SelectionFold[Shape]):
    """The shapes of a document's operations, each fragment's shape worked
    out once (a fragment spread inside its own expansion adds nothing; the
    spec's rules report the cycle). Counts as strawberry's depth and alias
    rules did, which expanded every spread anew: introspection fields add
    no depth, and an alias counts once per use of its fragment."""

    def __init__(self, document: DocumentNode) -> None:
        super().__init__(fragments_of(document))
        self.operations = [
            d for d in document.definitions if isinstance(d, OperationDefinitionNode)
        ]

    def fields(self) -> int:
        return sum(self.of(op.selection_set).fields for op in self.operations)

    def depth_errors(self, max_depth: int) -> list[GraphQLError]:
        return [
            GraphQLError(
                f"'{op.name.value if op.name else 'anonymous'}' "
                f"exceeds maximum operation depth of {max_depth}",
                op,
            )
            for op in self.operations
            if self.of(op.selection_set).depth > max_depth
        ]

    def alias_errors(self, max_aliases: int) -> list[GraphQLError]:
        aliases = sum(self.of(op.selection_set).aliases for op in self.operations)
        if aliases <= max_aliases:
            return []
        return [GraphQLError(f"{aliases} aliases found. Allowed: {max_aliases}")]

    def combine(self, parts: list[Shape]) -> Shape:
        return sum(parts, EMPTY)

    def field(self, node: FieldNode) -> Shape:
        below = self.of(node.selection_set)
        adds_depth = node.selection_set and not node.name.value.startswith("__")
        return Shape(
            1 + below.fields,
            1 + below.depth if adds_depth else 0,
            (1 if node.alias else 0) + below.aliases,
        )


def query_cost(
    document: DocumentNode,
    variables: Mapping[str, Any],
    operation_name: str | None,
    max_import_records: int = LIMITS["IMPORT_MAX_RECORDS"],
) -> int:
    """List items the operation's response may hold: each connection's page,
    each list of a page (`edges`, `nodes`) and each list of a contact at its
    largest, multiplied by the sizes of the lists above it (fragments
    expanded, each worked out once); a batch's items and an import's
    records (at most `max_import_records`) count one each."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name and d.name.value == operation_name))
    ]
    costs = _Costs(fragments_of(document), variables, max_import_records)
    return sum(costs.of(op.selection_set) for op in operations[:1])


class _Costs(SelectionFold[int]):
    """Costs of selection sets for one multiplier (1): a cost below a list
    of n items is n times the cost for one, so a fragment's cost is worked
    out once whatever the lists above its spreads."""

    def __init__(
        self,
        fragments: Fragments,
        variables: Mapping[str, Any],
        max_import_records: int,
        sized: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__(fragments)
        self.variables = variables
        self.max_import_records = max_import_records
        # Lists of a known size (a batch's or an import's payload).
        self.sized = sized or {}
        self.payloads: dict[tuple[tuple[str, ...], int], _Costs] = {}

    def combine(self, parts: list[int]) -> int:
        return sum(parts)

    def field(self, node: FieldNode) -> int:
        if node.name.value in BATCH_ITEMS:
            return self._batch(node)
        if node.name.value == IMPORT_FIELD:
            return self._import(node)
        items = self._items(node)
        if node.selection_set is None:  # a leaf: no call for nothing below
            return 0 if items is None else items
        below = self.of(node.selection_set)
        return below if items is None else items + items * below

    def _items(self, field: FieldNode) -> int | None:
        """The most items the field may hold; None for a field that is no
        list (nor connection)."""
        name = field.name.value
        if name in self.sized:
            return self.sized[name]
        if name in CONNECTION_DEFAULT_SIZES:
            return _page_size(field, self.variables)
        if name in PAGE_LISTS:
            return 1
        return CONTACT_LISTS.get(name)

    def _batch(self, field: FieldNode) -> int:
        """A batch mutation: one per item, and its payload, whose lists of
        contacts hold one per item (each payload's cost worked out once
        per number of items)."""
        items = _list_length(field, BATCH_ITEMS[field.name.value], self.variables)
        return items + self._payload(BATCH_PAYLOAD_LISTS, items).of(field.selection_set)

    def _import(self, field: FieldNode) -> int:
        """importContacts: one per record, and its payload, whose `records`
        hold one per record."""
        data = _import_data(field, self.variables)
        records = min(most_records(data), self.max_import_records) if data else 0
        payload = self._payload(IMPORT_PAYLOAD_LISTS, records)
        return records + payload.of(field.selection_set)

    def _payload(self, lists: tuple[str, ...], items: int) -> _Costs:
        """The costs below a payload whose `lists` hold `items` each, worked
        out once per number of items."""
        payload = self.payloads.get((lists, items))
        if payload is None:
            sized = dict.fromkeys(lists, items)
            payload = _Costs(
                self.fragments, self.variables, self.max_import_records, sized
            )
            self.payloads[(lists, items)] = payload
        return payload


def _import_data(field: FieldNode, variables: Mapping[str, Any]) -> str | None:
    """The file an importContacts field's `input.data` holds, from a
    literal or a variable (of the whole input or of `data`)."""
    value = _argument(field, "input", variables)
    if isinstance(value, ObjectValueNode):
        inner = next((f.value for f in value.fields if f.name.value == "data"), None)
        value = _literal(inner, variables) if inner is not None else None
    elif isinstance(value, Mapping):
        value = value.get("data")
    return value if isinstance(value, str) else None


def _argument(field: FieldNode, name: str, variables: Mapping[str, Any]) -> Any:
    """The argument's literal node, or its variable's value."""
    node = next((a.value for a in field.arguments or () if a.name.value == name), None)
    return None if node is None else _literal(node, variables)


def _literal(node: ValueNode, variables: Mapping[str, Any]) -> Any:
    """A variable's value; a string's text; any other node as it is."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, StringValueNode):
        return node.value
    return node


def _list_length(field: FieldNode, argument: str, variables: Mapping[str, Any]) -> int:
    """How many items the field's list `argument` holds: a list literal's
    or a variable's length; a single value (coerced to a list of one)
    counts one."""
    for node in field.arguments or ():
        if node.name.value != argument:
            continue
        value = node.value
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            return len(given) if isinstance(given, list) else 1
        return 1
    return 0


def _page_size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    sizes = [
        _int_value(argument.value, variables)
        for argument in field.arguments or ()
        if argument.name.value in ("first", "last")
    ]
    given = [size for size in sizes if size is not None]
    if not given:
        return CONNECTION_DEFAULT_SIZES[field.name.value]
    return max(0, max(given))


def _int_value(node: ValueNode, variables: Mapping[str, Any]) -> int | None:
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, VariableNode):
        value = variables.get(node.name.value)
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None
