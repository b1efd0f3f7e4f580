"""Canaries: each private name of graphql-core and strawberry that the
executor relies on (COMPAT.md) still exists with the shape it relies on.

An upgrade that changes one fails here, with the name and the file that
uses it, before it fails somewhere in the differential tests.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    MiddlewareManager,
    OperationDefinitionNode,
)
from graphql.execution import Executor

EXECUTOR = "graphql_fastpath/executor.py"
CONTEXT = "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext"
CONVERTER = "strawberry.schema.schema_converter.GraphQLCoreConverter"


def broken(name: str, expected: str) -> str:
    return (
        f"{name} (used by {EXECUTOR}) changed: expected {expected}. "
        "See graphql_fastpath/COMPAT.md before upgrading."
    )


def load(dotted: str) -> Any:
    """`module.name` imported, or a failure that names it."""
    parts = dotted.split(".")
    try:
        # The longest importable prefix is the module; the rest, attributes.
        for end in range(len(parts), 0, -1):
            try:
                found: Any = importlib.import_module(".".join(parts[:end]))
            except ImportError:
                continue
            for name in parts[end:]:
                found = getattr(found, name)
            return found
        raise ImportError(dotted)
    except (ImportError, AttributeError):
        raise AssertionError(broken(dotted, "it to exist")) from None


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    name: str

    @strawberry.field
    def loud(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def pet(self) -> Pet:
        return Pet(name="Rex")


def graphql_type(name: str) -> GraphQLObjectType:
    found = strawberry.Schema(query=Query, types=[Pet])._schema.get_type(name)
    assert isinstance(found, GraphQLObjectType)
    return found


# --- graphql-core ---------------------------------------------------------------------


def test_executor_internals_of_the_executor_module() -> None:
    from graphql.execution import executor

    name = "graphql.execution.executor.collect_iterator_awaitables"
    function = getattr(executor, "collect_iterator_awaitables", None)
    assert function is not None, broken(name, "a function")
    assert parameters(function) == ["iterator", "is_awaitable"], broken(
        name, "(iterator, is_awaitable)"
    )
    name = "graphql.execution.executor.to_nodes"
    function = getattr(executor, "to_nodes", None)
    assert function is not None, broken(name, "a function")
    assert parameters(function) == ["field_details_list"], broken(
        name, "(field_details_list)"
    )


def test_collect_fields_types() -> None:
    module = "graphql.execution.collect_fields"
    collected_fields = load(f"{module}.CollectedFields")
    field_details = load(f"{module}.FieldDetails")
    assert getattr(collected_fields, "_fields", None) == (
        "grouped_field_set",
        "new_defer_usages",
        "forbidden_directive_instances",
    ), broken(
        "graphql.execution.collect_fields.CollectedFields",
        "a 3-tuple (grouped_field_set, new_defer_usages, ...)",
    )
    assert getattr(field_details, "_fields", None) == (
        "node",
        "defer_usage",
        "fragment_variable_values",
    ), broken(
        "graphql.execution.collect_fields.FieldDetails",
        "fields node, defer_usage, fragment_variable_values",
    )
    for alias in ("FieldDetailsList", "GroupedFieldSet"):
        load(f"{module}.{alias}")


def test_path_is_a_named_tuple_of_three() -> None:
    from graphql.pyutils import Path

    problem = broken(
        "graphql.pyutils.Path (built with tuple.__new__ in new_path)",
        "a NamedTuple (prev, key, typename)",
    )
    assert issubclass(Path, tuple), problem
    assert Path._fields == ("prev", "key", "typename"), problem


# The Executor methods FastExecutor overrides or calls: public names, but not
# a documented API (3.3 changed most of them), so held to their parameters.
EXECUTOR_METHODS = {
    "collect_subfields": ["self", "return_type", "field_details_list"],
    "execute_fields": [
        "self",
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ],
    "execute_field": [
        "self",
        "parent_type",
        "source",
        "field_details_list",
        "path",
        "position_context",
    ],
    "build_resolve_info": ["self", "field_def", "field_nodes", "parent_type", "path"],
    "complete_value": [
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ],
    "complete_awaitable_value": [
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ],
    "complete_list_item_value": [
        "self",
        "item",
        "complete_results",
        "item_type",
        "field_details_list",
        "info",
        "item_path",
        "position_context",
    ],
    "complete_awaitable_list_item_value": [
        "self",
        "item",
        "item_type",
        "field_details_list",
        "info",
        "item_path",
        "position_context",
    ],
    "handle_field_error": [
        "self",
        "raw_error",
        "return_type",
        "field_details_list",
        "path",
    ],
    "settle_in_background": ["self", "awaitables"],
    "is_awaitable": ["value"],
}


def test_executor_methods_keep_their_parameters() -> None:
    for method, expected in EXECUTOR_METHODS.items():
        function = getattr(Executor, method, None)
        name = f"graphql.execution.Executor.{method}"
        assert function is not None, broken(name, "a method")
        assert parameters(function) == expected, broken(
            name, f"({', '.join(expected)})"
        )


def test_executor_attributes_and_hooks() -> None:
    """The attributes FastExecutor reads in __init__, and the stock path
    collecting and executing a nested selection set through the two methods
    it overrides."""
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    seen: dict[str, Any] = {}
    calls: list[str] = []

    class Recording(StrawberryGraphQLCoreExecutionContext):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            seen.update(
                (name, getattr(self, name, AttributeError))
                for name in (
                    "schema",
                    "operation",
                    "fragment_definitions",
                    "middleware_manager",
                )
            )

        def collect_subfields(self, *args: Any) -> Any:
            calls.append("collect_subfields")
            return super().collect_subfields(*args)

        def execute_fields(self, *args: Any) -> Any:
            calls.append("execute_fields")
            return super().execute_fields(*args)

    schema = strawberry.Schema(query=Query, execution_context_class=Recording)
    result = schema.execute_sync("{ pet { name loud } }")
    assert result.data == {"pet": {"name": "Rex", "loud": "REX"}}
    name = "graphql.execution.Executor attributes"
    assert isinstance(seen["schema"], GraphQLSchema), broken(name, "self.schema")
    assert isinstance(seen["operation"], OperationDefinitionNode), broken(
        name, "self.operation"
    )
    assert isinstance(seen["fragment_definitions"], dict), broken(
        name, "self.fragment_definitions"
    )
    assert seen["middleware_manager"] is None or isinstance(
        seen["middleware_manager"], MiddlewareManager
    ), broken(name, "self.middleware_manager")
    problem = broken(
        "graphql.execution.Executor.collect_and_execute_subfields",
        "to call self.collect_subfields and self.execute_fields",
    )
    assert calls.count("collect_subfields") >= 1, problem
    assert calls.count("execute_fields") >= 2, problem


def stock_instance_attributes() -> set[str]:
    """The attributes an instance of strawberry's executor has once built."""
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    found: set[str] = set()

    class Recording(StrawberryGraphQLCoreExecutionContext):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            found.update(vars(self))

    strawberry.Schema(query=Query, execution_context_class=Recording).execute_sync(
        "{ pet { name } }"
    )
    assert found
    return found


def fast_instance_attributes() -> set[str]:
    """The attributes FastExecutor's own methods assign (`self.x = ...`)."""
    from graphql_fastpath import executor

    tree = ast.parse(inspect.getsource(executor.FastExecutor))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    }


def test_fast_executor_names_shadow_nothing() -> None:
    """The methods and attributes FastExecutor adds must not replace one of
    graphql-core's or strawberry's by accident, now or after an upgrade."""
    StrawberryGraphQLCoreExecutionContext = load(CONTEXT)

    from graphql_fastpath.executor import FastExecutor

    overridden = {"collect_subfields", "execute_fields"}
    methods = {
        name
        for name in vars(FastExecutor)
        if not (name.startswith("__") and name.endswith("__"))
    } - overridden
    shadowed = sorted(
        name for name in methods if hasattr(StrawberryGraphQLCoreExecutionContext, name)
    )
    assert not shadowed, broken("graphql.execution.Executor", f"no method {shadowed}")
    attributes = fast_instance_attributes()
    assert "_inline" in attributes  # the walk finds them
    shadowed = sorted(attributes & stock_instance_attributes())
    assert not shadowed, broken(
        "graphql.execution.Executor", f"no instance attribute {shadowed}"
    )


# --- strawberry -----------------------------------------------------------------------


def test_strawberry_execution_context_class() -> None:
    from strawberry.schema import schema

    name = "strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext"
    base = getattr(schema, "StrawberryGraphQLCoreExecutionContext", None)
    problem = broken(name, "a subclass of graphql.execution.Executor")
    assert base is not None, problem
    assert issubclass(base, Executor), problem
    assert "build_resolve_info" in vars(base), broken(
        name, "its own build_resolve_info (strawberry's ResolveInfo)"
    )


def test_definition_backref() -> None:
    GraphQLCoreConverter = load(CONVERTER)
    from strawberry.types.base import StrawberryObjectDefinition
    from strawberry.types.field import StrawberryField

    name = "strawberry.schema.schema_converter.GraphQLCoreConverter.DEFINITION_BACKREF"
    key = getattr(GraphQLCoreConverter, "DEFINITION_BACKREF", None)
    assert isinstance(key, str), broken(name, "a str key of extensions")
    pet = graphql_type("Pet")
    assert isinstance(pet.fields["name"].extensions.get(key), StrawberryField), broken(
        name, "GraphQLField.extensions[key] is the StrawberryField"
    )
    assert isinstance(pet.extensions.get(key), StrawberryObjectDefinition), broken(
        name, "GraphQLObjectType.extensions[key] is the type's definition"
    )


def test_strawberry_field_shape() -> None:
    GraphQLCoreConverter = load(CONVERTER)

    fields = graphql_type("Pet").fields
    plain = fields["name"].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    resolved = fields["loud"].extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    name = "strawberry.types.field.StrawberryField"
    problem = broken(f"{name}.is_basic_field", "True for a field without a resolver")
    assert plain.is_basic_field is True, problem
    assert resolved.is_basic_field is False, problem
    assert plain.default_resolver is getattr, broken(
        f"{name}.default_resolver", "getattr unless the config names another"
    )
    assert plain.python_name == "name", broken(
        f"{name}.python_name", "the attribute's name"
    )


def test_resolvers_carry_is_default() -> None:
    fields = graphql_type("Pet").fields
    name = "GraphQLField.resolve._is_default (set by strawberry's schema_converter)"
    assert getattr(fields["name"].resolve, "_is_default", None) is True, broken(
        name, "True on the resolver of a field without one"
    )
    assert getattr(fields["loud"].resolve, "_is_default", None) is False, broken(
        name, "False on a field with a resolver"
    )


def test_is_type_of_of_an_implementation_reads_no_info() -> None:
    GraphQLCoreConverter = load(CONVERTER)

    pet = graphql_type("Pet")
    definition = pet.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
    name = "strawberry's is_type_of for a type implementing an interface"
    assert definition.is_type_of is None, broken(
        "StrawberryObjectDefinition.is_type_of", "None when the type defines none"
    )
    assert pet.is_type_of is not None, broken(name, "an is_type_of")
    assert pet.is_type_of(Pet(name="Rex"), None) is True, broken(  # type: ignore[arg-type]
        name, "an isinstance check, called with info=None"
    )
    assert pet.is_type_of(object(), None) is False, broken(  # type: ignore[arg-type]
        name, "an isinstance check, called with info=None"
    )
