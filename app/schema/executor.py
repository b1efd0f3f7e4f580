"""A faster executor for validated documents that answers exactly as the
stock one does.

Most fields of a page of contacts are plain attributes: strawberry fields
without a resolver, arguments, extensions or permission classes. The stock
executor still serves each with a `ResolveInfo`, strawberry's resolver
wrapper and graphql-core's general value completion. `FastExecutor` reads
such a field with `getattr` and completes its value inline: leaves through
their scalar's or enum's own output coercion, lists item by item, objects by
executing their selection set the same way.

Only the ordinary case is taken inline. Anything else (a null where the type
forbids one, an exception, an awaitable, a value its scalar refuses, an
interface or union, a field with a resolver, arguments or directives,
middleware from a schema extension that hooks `resolve`, `@defer`) goes to
graphql-core's own code for that field or list item, so that errors, their
paths and locations, and null propagation come from the stock path itself.
The fast path gives a position up (raises `_Fallback`) only before it has
done anything a client could see, and hands the stock path the value it
read, so that every attribute is read once, as the stock path reads it.
Fields with resolvers run in graphql-core's `execute_field`, as before.

bench/executor.py measures the difference; tests/graphql/
test_executor_differential.py holds the two executors' answers side by side.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, MutableSequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeAlias
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import collect_iterator_awaitables, to_nodes
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

# Runtime types whose values are never awaitable, exceptions or Undefined.
PRIMITIVES = frozenset({str, int, float, bool})
# Scalars whose output coercion returns a value of exactly this type as is.
UNCHANGED: dict[GraphQLLeafType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}


class _Fallback(Exception):
    """The fast path declines a position (a field or a list item) before
    doing anything observable; the stock path completes it from scratch."""


class Completer(Protocol):
    """Completes a value of one output type at `path`, or raises `_Fallback`.

    `field` and `field_path` are the field the value belongs to and its
    path: a list needs them to build the `ResolveInfo` that the stock path
    takes for an item the fast path declines.
    """

    def __call__(
        self,
        executor: FastExecutor,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        field: PlainField,
        field_path: Path | None,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class PlainField:
    """A field the fast path serves: an attribute of the source object."""

    parent_type: GraphQLObjectType
    field_def: GraphQLField
    attribute: str
    complete: Completer
    # Lists and objects need their path; a completed leaf is never awaitable.
    composite: bool


class Step(NamedTuple):
    """One response key of a selection set: a plain field, `__typename`
    (the parent's name), or, when both are None, a field for the stock path."""

    response_name: str
    field_details_list: FieldDetailsList
    field: PlainField | None
    typename: str | None


Steps: TypeAlias = tuple[Step, ...]


class ObjectPlan(NamedTuple):
    """How to execute the selection set of an object field."""

    field_details_list: FieldDetailsList  # the memo's key, kept alive
    sub_fields: GroupedFieldSet
    deferred: bool  # something below is deferred: the stock path's business
    steps: Steps | None


class FastExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with plain attribute fields served inline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        # Middleware (a schema extension's `resolve`) must see every field.
        self._inline = manager is None or not manager.middlewares
        self._plain_fields = plain_fields_of(self.schema)
        # Memos like graphql-core's `collect_subfields`: keyed by identity,
        # holding on to the key's object so that its id is not reused.
        self._steps: dict[
            tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Steps | None]
        ] = {}
        self._objects: dict[tuple[GraphQLObjectType, int], ObjectPlan] = {}

    # --- selection sets ------------------------------------------------------------

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        """The stock method, unless some field of the set can be inline."""
        steps = (
            self._steps_for(parent_type, grouped_field_set)
            if self._inline and position_context is None
            else None
        )
        if not steps:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        return self._execute_steps(parent_type, source_value, path, steps)

    def _execute_steps(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        steps: Steps,
    ) -> Any:
        """`execute_fields` with plain fields inline; awaitable results are
        gathered as the stock method gathers them."""
        results: dict[str, Any] = {}
        awaiting: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, field_details_list, field, typename in steps:
                if typename is not None:
                    results[response_name] = typename
                    continue
                if field is None:
                    result = self.execute_field(
                        parent_type,
                        source,
                        field_details_list,
                        Path(path, response_name, parent_type.name),
                        None,
                    )
                    if result is Undefined:
                        continue
                else:
                    result = self._execute_plain_field(
                        field, source, field_details_list, path, response_name
                    )
                results[response_name] = result
                if is_awaitable(result):
                    awaiting.append(response_name)
        except Exception:
            if awaiting:
                self.settle_in_background([results[name] for name in awaiting])
            raise
        return _gathered(results, awaiting) if awaiting else results

    def _execute_plain_field(
        self,
        field: PlainField,
        source: Any,
        field_details_list: FieldDetailsList,
        parent_path: Path | None,
        response_name: str,
    ) -> Any:
        """`execute_field` for a plain field: its resolver would only read
        the attribute, so read it here, and complete the value inline if the
        fast path can, else as `execute_field` would. The attribute is read
        once either way."""
        parent_type = field.parent_type
        path = (
            Path(parent_path, response_name, parent_type.name)
            if field.composite
            else None
        )
        try:
            value = getattr(source, field.attribute)
            completed = field.complete(
                self, value, field_details_list, path, field, path
            )
        except _Fallback:
            return self._complete_stock(
                field,
                field_details_list,
                path or Path(parent_path, response_name, parent_type.name),
                value,
            )
        except Exception as raw_error:
            # Reading the attribute failed (as strawberry's resolver would),
            # or a non-null field below failed.
            self.handle_field_error(
                raw_error,
                field.field_def.type,
                field_details_list,
                path or Path(parent_path, response_name, parent_type.name),
            )
            return None
        if field.composite and self.is_awaitable(completed):
            assert path is not None
            return self._settle(
                completed, field.field_def.type, field_details_list, path
            )
        return completed

    def _complete_stock(
        self,
        field: PlainField,
        field_details_list: FieldDetailsList,
        path: Path,
        value: Any,
    ) -> Any:
        """What `execute_field` does with the value its resolver returned."""
        return_type = field.field_def.type
        info = self.build_resolve_info(
            field.field_def, to_nodes(field_details_list), field.parent_type, path
        )
        try:
            if self.is_awaitable(value):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, value, None
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, None
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return self._settle(completed, return_type, field_details_list, path)
        return completed

    def complete_object(
        self,
        object_type: GraphQLObjectType,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """`collect_and_execute_subfields` for a value known to be of
        `object_type`; `_Fallback` when something below is deferred."""
        key = (object_type, id(field_details_list))
        plan = self._objects.get(key)
        if plan is None:
            sub_fields, new_defer_usages, _forbidden = self.collect_subfields(
                object_type, field_details_list
            )
            deferred = bool(new_defer_usages)
            steps = None if deferred else self._steps_for(object_type, sub_fields)
            plan = ObjectPlan(field_details_list, sub_fields, deferred, steps)
            self._objects[key] = plan
        if plan.deferred:
            raise _Fallback
        if plan.steps is None:
            return super().execute_fields(
                object_type, value, path, plan.sub_fields, None
            )
        return self._execute_steps(object_type, value, path, plan.steps)

    # --- lists -----------------------------------------------------------------------

    def complete_items(
        self,
        items: Iterable[Any],
        item_type: GraphQLOutputType,
        complete_item: Completer,
        field_details_list: FieldDetailsList,
        path: Path,
        field: PlainField,
        field_path: Path | None,
    ) -> Any:
        """`complete_iterable_value` for a list or tuple: each item inline,
        or by `complete_list_item_value` when the fast path declines it."""
        completed: list[Any] = []
        awaiting: list[int] = []
        is_awaitable = self.is_awaitable
        info: GraphQLResolveInfo | None = None
        iterator = iter(items)
        try:
            for index, item in enumerate(iterator):
                item_path = Path(path, index, None)
                try:
                    result = complete_item(
                        self, item, field_details_list, item_path, field, field_path
                    )
                except _Fallback:
                    info = info or self._resolve_info(
                        field, field_details_list, field_path
                    )
                    if self._complete_item_stock(
                        item, completed, item_type, field_details_list, info, item_path
                    ):
                        awaiting.append(index)
                    continue
                except Exception as raw_error:  # from a non-null field below
                    self.handle_field_error(
                        raw_error, item_type, field_details_list, item_path
                    )
                    result = None
                if is_awaitable(result):
                    result = self._settle(
                        result, item_type, field_details_list, item_path
                    )
                    awaiting.append(index)
                completed.append(result)
        except Exception:
            pending = [completed[index] for index in awaiting]
            pending.extend(collect_iterator_awaitables(iterator, is_awaitable))
            if pending:
                self.settle_in_background(pending)
            raise
        return _gathered(completed, awaiting) if awaiting else completed

    def _complete_item_stock(
        self,
        item: Any,
        completed: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo,
        item_path: Path,
    ) -> bool:
        """Append the item as `complete_iterable_value` would; True when
        what it appended is awaitable."""
        if self.is_awaitable(item):
            completed.append(
                self.complete_awaitable_list_item_value(
                    item, item_type, field_details_list, info, item_path, None
                )
            )
            return True
        return self.complete_list_item_value(
            item, completed, item_type, field_details_list, info, item_path, None
        )

    # --- helpers -------------------------------------------------------------------

    def is_plain(self, value: Any) -> bool:
        """Not a value that `complete_value` treats specially before it looks
        at the type: an exception, Undefined or an awaitable."""
        return (
            value is not Undefined
            and not isinstance(value, Exception)
            and not self.is_awaitable(value)
        )

    async def _settle(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """Await a completion as `execute_field` and `complete_list_item_value`
        do: an error nulls this position or propagates through non-null."""
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def _resolve_info(
        self,
        field: PlainField,
        field_details_list: FieldDetailsList,
        field_path: Path | None,
    ) -> GraphQLResolveInfo:
        """The info `execute_field` builds for the field a list belongs to."""
        assert field_path is not None  # lists are composite
        return self.build_resolve_info(
            field.field_def, to_nodes(field_details_list), field.parent_type, field_path
        )

    def _steps_for(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Steps | None:
        """How to execute each key of a selection set; None when no field of
        it can be served inline."""
        key = (parent_type, id(grouped_field_set))
        cached = self._steps.get(key)
        if cached is None:
            steps = tuple(
                self._step(parent_type, response_name, field_details_list)
                for response_name, field_details_list in grouped_field_set.items()
            )
            inline = any(step.field or step.typename for step in steps)
            cached = self._steps[key] = (grouped_field_set, steps if inline else None)
        return cached[1]

    def _step(
        self,
        parent_type: GraphQLObjectType,
        response_name: str,
        field_details_list: FieldDetailsList,
    ) -> Step:
        stock = Step(response_name, field_details_list, None, None)
        if any(
            details.node.directives or details.node.arguments
            for details in field_details_list
        ):
            return stock  # e.g. @include(if: true): left to the stock path
        field_name = field_details_list[0].node.name.value
        if field_name == "__typename":
            return Step(response_name, field_details_list, None, parent_type.name)
        field = self._plain_fields.get(parent_type, field_name)
        return Step(response_name, field_details_list, field, None) if field else stock


def _gathered(container: MutableSequence[Any] | dict[Any, Any], keys: list[Any]) -> Any:
    """`container` once its awaitable entries at `keys` are awaited, as the
    stock executor gathers them (one directly, several concurrently)."""

    async def gather() -> Any:
        if len(keys) == 1:
            container[keys[0]] = await container[keys[0]]
        else:
            values = await gather_with_cancel(*(container[key] for key in keys))
            for key, value in zip(keys, values, strict=True):
                container[key] = value
        return container

    return gather()


# --- which fields are plain, worked out once per schema ------------------------------


class PlainFields:
    """The plain fields of one schema, each looked at on first use."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], PlainField | None] = {}

    def get(self, parent_type: GraphQLObjectType, field_name: str) -> PlainField | None:
        key = (parent_type.name, field_name)
        try:
            return self._found[key]
        except KeyError:
            field_def = parent_type.fields.get(field_name)
            found = plain_field(parent_type, field_def) if field_def else None
            self._found[key] = found
            return found


_PLAIN_FIELDS: WeakKeyDictionary[GraphQLSchema, PlainFields] = WeakKeyDictionary()


def plain_fields_of(schema: GraphQLSchema) -> PlainFields:
    found = _PLAIN_FIELDS.get(schema)
    if found is None:
        found = _PLAIN_FIELDS[schema] = PlainFields()
    return found


def plain_field(
    parent_type: GraphQLObjectType, field_def: GraphQLField
) -> PlainField | None:
    """The field as a `PlainField` when strawberry only reads an attribute
    for it (no resolver, arguments, field extensions - permission classes are
    some - or exception handlers, and the default `getattr` resolver), and
    its type is one the fast path completes."""
    definition = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or not definition.is_basic_field
        or definition.default_resolver is not getattr
        or field_def.args
        # strawberry's resolver for basic fields, not one with exception handlers
        or not getattr(field_def.resolve, "_is_default", False)
    ):
        return None
    complete = completer(field_def.type)
    if complete is None:
        return None
    type_ = field_def.type
    nullable_type = type_.of_type if is_non_null_type(type_) else type_
    return PlainField(
        parent_type=parent_type,
        field_def=field_def,
        attribute=definition.python_name,
        complete=complete,
        composite=not is_leaf_type(nullable_type),
    )


# --- completers, one per output type -------------------------------------------------


def completer(type_: GraphQLOutputType) -> Completer | None:
    """A function that completes values of `type_` inline; None for the
    types left to the stock path: interfaces, unions, and objects with an
    `is_type_of` of their own."""
    nullable = not is_non_null_type(type_)
    if not nullable:
        type_ = type_.of_type  # type: ignore[union-attr]
    if is_leaf_type(type_):
        return _leaf(type_, nullable)
    if is_list_type(type_):
        complete_item = completer(type_.of_type)
        return _list(type_.of_type, complete_item, nullable) if complete_item else None
    if is_object_type(type_):
        return _object(type_, nullable)
    return None


def _leaf(leaf_type: GraphQLLeafType, nullable: bool) -> Completer:
    """The scalar's or enum's output coercion. The stock path reports a
    null for a non-null type and a value the coercion refuses (or turns
    into null)."""
    coerce = leaf_type.coerce_output_value
    unchanged = UNCHANGED.get(leaf_type)

    def complete_leaf(
        executor: FastExecutor,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        field: PlainField,
        field_path: Path | None,
    ) -> Any:
        value_type = type(value)
        if value_type is unchanged:
            return value
        if value is None:
            if nullable:
                return None
            raise _Fallback  # the stock path words the error
        if value_type not in PRIMITIVES and not executor.is_plain(value):
            raise _Fallback
        try:
            coerced = coerce(value)
        except Exception:
            raise _Fallback from None
        if coerced is None or coerced is Undefined:
            raise _Fallback
        return coerced

    return complete_leaf


def _list(
    item_type: GraphQLOutputType, complete_item: Completer, nullable: bool
) -> Completer:
    """Lists and tuples; other iterables (generators, async iterables) and
    values that are not iterable are left to the stock path."""

    def complete_list(
        executor: FastExecutor,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        field: PlainField,
        field_path: Path | None,
    ) -> Any:
        value_type = type(value)
        if value_type is not list and value_type is not tuple:
            if value is None and nullable:
                return None
            raise _Fallback
        assert path is not None  # lists are composite
        return executor.complete_items(
            value, item_type, complete_item, field_details_list, path, field, field_path
        )

    return complete_list


def _object(object_type: GraphQLObjectType, nullable: bool) -> Completer | None:
    """Objects of a type without `is_type_of`, or with the one strawberry
    gives types that implement an interface: an isinstance check that never
    reads its info argument, so it runs without one."""
    is_type_of = object_type.is_type_of
    if is_type_of is not None:
        definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if definition is None or definition.is_type_of is not None:
            return None

    def complete_object(
        executor: FastExecutor,
        value: Any,
        field_details_list: FieldDetailsList,
        path: Path | None,
        field: PlainField,
        field_path: Path | None,
    ) -> Any:
        if value is None:
            if nullable:
                return None
            raise _Fallback  # the stock path words the error
        if not executor.is_plain(value):
            raise _Fallback
        if is_type_of is not None and is_type_of(value, None) is not True:  # type: ignore[arg-type]
            raise _Fallback  # the stock path reports the mismatch
        assert path is not None  # objects are composite
        return executor.complete_object(object_type, value, field_details_list, path)

    return complete_object


__all__ = ["FastExecutor"]
