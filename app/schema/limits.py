"""Limits on what one GraphQL document may ask, checked before any resolver runs.

Parsing stops after `MAX_QUERY_TOKENS` tokens. Validation then counts
directives (one error for a flood, where graphql-core would report each
repeat), checks depth and aliases with the rest of the spec's rules, returns
at most `MAX_VALIDATION_ERRORS` errors, and leaves out "Did you mean …?"
suggestions unless `FIELD_SUGGESTIONS` is on (in variable values too, which
are coerced here). Last comes the query cost: in the spirit of GitHub's node
limit, the sum over every connection field of the product of the page sizes
(`first`/`last`) down its path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    get_variable_values,
    visit,
)
from graphql.language import IntValueNode, ValueNode
from graphql.validation import validate
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import (
    create_validator as depth_rule,
)
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from app.config import LIMITS
from app.schema.document_cache import ValidQueries

# Fields whose page size multiplies the cost of everything below them, with
# the page size used when the query gives none.
CONNECTION_DEFAULT_SIZES = {"contacts": 20}


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_directives: int
    max_validation_errors: int
    max_cost: int
    suggestions: bool

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Limits:
        """The limits a Flask config asks for, else the defaults."""

        def get(name: str) -> int:
            value: int = settings.get(name, LIMITS[name])
            return value

        return cls(
            max_tokens=get("MAX_QUERY_TOKENS"),
            max_depth=get("MAX_QUERY_DEPTH"),
            max_aliases=get("MAX_QUERY_ALIASES"),
            max_directives=get("MAX_QUERY_DIRECTIVES"),
            max_validation_errors=get("MAX_VALIDATION_ERRORS"),
            max_cost=get("MAX_QUERY_COST"),
            suggestions=bool(settings.get("FIELD_SUGGESTIONS", False)),
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
        query = self.execution_context.query
        if query is None or query not in self.valid_queries:
            errors = self.document_errors(document, rules)
            if errors:
                return errors
            if query is not None:
                self.valid_queries.add(query)
        return self.operation_errors(document, variables)

    def document_errors(
        self, document: DocumentNode, rules: tuple[Any, ...]
    ) -> list[GraphQLError]:
        """What is wrong with the document whatever the variables: too many
        directives, or invalid (the depth and alias limits included)."""
        limits = self.limits
        directives = count_directives(document)
        if directives > limits.max_directives:
            return [
                GraphQLError(
                    f"The query has {directives} directives; "
                    f"the limit is {limits.max_directives}."
                )
            ]
        return validate(
            self.execution_context.schema._schema,
            document,
            (
                *rules,
                MaybeNullValidationRule,
                OneOfInputValidationRule,
                depth_rule(limits.max_depth, None),
                aliases_rule(limits.max_aliases),
            ),
            max_errors=limits.max_validation_errors,
            hide_suggestions=not limits.suggestions,
        )

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
        cost = query_cost(document, coerced.coerced, operation_name)
        if cost > limits.max_cost:
            return [
                GraphQLError(
                    f"The query may return {cost} nodes; the limit is "
                    f"{limits.max_cost}. Ask for smaller pages (first/last)."
                )
            ]
        return []


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


def query_cost(
    document: DocumentNode, variables: Mapping[str, Any], operation_name: str | None
) -> int:
    """Nodes the operation may return: for each connection field, the product
    of the page sizes along its path (fragments expanded)."""
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name and d.name.value == operation_name))
    ]
    return sum(
        _selection_cost(op.selection_set, 1, fragments, variables, frozenset())
        for op in operations[:1]
    )


def _selection_cost(
    selection_set: SelectionSetNode | None,
    multiplier: int,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    visiting: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    cost = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            inner = multiplier
            if selection.name.value in CONNECTION_DEFAULT_SIZES:
                inner = multiplier * _page_size(selection, variables)
                cost += inner
            cost += _selection_cost(
                selection.selection_set, inner, fragments, variables, visiting
            )
        elif isinstance(selection, InlineFragmentNode):
            cost += _selection_cost(
                selection.selection_set, multiplier, fragments, variables, visiting
            )
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visiting:
                cost += _selection_cost(
                    fragment.selection_set,
                    multiplier,
                    fragments,
                    variables,
                    visiting | {name},
                )
    return cost


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
