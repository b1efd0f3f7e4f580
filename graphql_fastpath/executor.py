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

What to do for each field of a selection set (its `Step`: a leaf read and
kept inline when its value needs no coercion, a function chosen for the
field's type otherwise) is planned once per document, not per request:
strawberry's ParserCache gives every request with the same text the same
`DocumentNode`, so `DocumentPlans` knows a selection set by the ids of its
field nodes. Only selection sets that collect alike whatever the variables
are shared (no @skip, @include, @defer or fragment arguments among the
selections collected, which `StaticSelections` finds with the walk of
fragments in selections.py that the app's look-ahead and limits share);
the others are collected and planned per request, as before. Collecting
itself stays graphql-core's `collect_fields`, so that it is the stock
executor's to the letter. `DocumentCache` bounds the memory: the plans of at most
`DOCUMENTS` documents, and at most `PLANS_PER_DOCUMENT` selection sets each.

bench/executor.py measures the difference; graphql_fastpath/tests/
test_executor.py and tests/graphql/test_executor_differential.py (the app,
over HTTP) hold the two executors' answers side by side. The private names
of graphql-core and strawberry used here are listed in COMPAT.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableSequence
from dataclasses import dataclass
from functools import partial
from threading import Lock
from types import GeneratorType, NoneType
from typing import Any, NamedTuple, Protocol, TypeAlias
from weakref import WeakKeyDictionary

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import (
    CollectedFields,
    FieldDetailsList,
    GroupedFieldSet,
)
from graphql.execution.executor import collect_iterator_awaitables, to_nodes
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graphql_fastpath.lru import LruCache
from graphql_fastpath.selections import SelectionFold

# Runtime types whose values are never awaitable, exceptions or Undefined.
PRIMITIVES = frozenset({str, int, float, bool})
# What a field's completion returns when it is not awaitable: no need to ask.
SETTLED = frozenset({dict, list, NoneType, str, int, float, bool})
# Scalars whose output coercion returns a value of exactly this type as is.
UNCHANGED: dict[GraphQLLeafType, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLBoolean: bool,
}
# How many documents keep their plans (the ParserCache default holds as
# many), and how many selection sets of one document are planned at most:
# a document can be collected in many ways when @skip and @include take
# variables, and a stream of distinct queries must not grow memory.
DOCUMENTS = 256
PLANS_PER_DOCUMENT = 1024
# `Path(prev, key, typename)` without the Python frame of a NamedTuple's
# `__new__`: the hot loops make one per list item and composite field.
new_path: Callable[[tuple[Path | None, str | int, str | None]], Path] = partial(
    tuple.__new__, Path
)


class _Never:
    """A type no value has: a leaf step's `exact` when none passes as is."""


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
    """A field the fast path serves: an attribute of the source object.

    A leaf's value passes as is when its type is `exact` or `also` (the
    scalar returns such values unchanged; `also` is NoneType when the
    field is nullable); composites have neither.
    """

    parent_type: GraphQLObjectType
    field_def: GraphQLField
    attribute: str
    complete: Completer
    exact: type | None
    also: type | None


# Runs one step: given the source object (a leaf step: the value it read)
# and the parent's path, returns the response value, maybe awaitable.
Runner: TypeAlias = Callable[["FastExecutor", Any, Path | None], Any]


class Step(NamedTuple):
    """One response key of a selection set. A leaf's attribute is read in
    the loop, which keeps a value of type `exact` or `also` as it is and
    hands any other to `run`; the other steps (composite plain fields,
    `__typename`, fields for the stock path) are `run` on the source."""

    response_name: str
    attribute: str | None
    exact: type | None
    also: type | None
    run: Runner


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
        self._document = document_plans_of(self.schema).get(
            self.operation, self.fragment_definitions
        )
        # Memos like graphql-core's `collect_subfields`: keyed by identity,
        # holding on to the key's object so that its id is not reused.
        self._collected: dict[
            tuple[GraphQLObjectType, int], tuple[FieldDetailsList, CollectedFields]
        ] = {}
        self._steps: dict[
            tuple[GraphQLObjectType, int], tuple[GroupedFieldSet, Steps | None]
        ] = {}
        self._objects: dict[int, ObjectPlan] = {}
        self._plain_types: set[type] = set()

    # --- selection sets ------------------------------------------------------------

    def collect_subfields(
        self, return_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> CollectedFields:
        """graphql-core's memo, backed by the document's plans: the same
        selection set collects alike on every request unless a variable
        or a deferral has a say (see `DocumentPlans.collected`)."""
        key = (return_type, id(field_details_list))
        memo = self._collected.get(key)
        if memo is not None:
            return memo[1]
        collected = self._document.collected(
            return_type,
            field_details_list,
            lambda: super(FastExecutor, self).collect_subfields(
                return_type, field_details_list
            ),
            self._plain_fields,
        )
        self._collected[key] = (field_details_list, collected)
        return collected

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
        return self._execute_steps(source_value, path, steps)

    def _execute_steps(self, source: Any, path: Path | None, steps: Steps) -> Any:
        """`execute_fields` with plain fields inline; awaitable results are
        gathered as the stock method gathers them."""
        results: dict[str, Any] = {}
        awaiting: list[str] = []
        is_awaitable = self.is_awaitable
        try:
            for response_name, attribute, exact, also, run in steps:
                if attribute is None:
                    result = run(self, source, path)
                    if result is Undefined:  # the stock path skipped the field
                        continue
                else:
                    try:
                        value = getattr(source, attribute)
                    except Exception as raw_error:  # as strawberry's resolver
                        value = raw_error  # and the stock path reports it
                    value_type = type(value)
                    if value_type is exact or value_type is also:
                        results[response_name] = value
                        continue
                    result = run(self, value, path)
                results[response_name] = result
                if type(result) not in SETTLED and is_awaitable(result):
                    awaiting.append(response_name)
        except Exception:
            if awaiting:
                self.settle_in_background([results[name] for name in awaiting])
            raise
        return _gathered(results, awaiting) if awaiting else results

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
        plan = self._object_plan(object_type, field_details_list)
        if plan.deferred:
            raise _Fallback
        if plan.steps is None:
            return super().execute_fields(
                object_type, value, path, plan.sub_fields, None
            )
        return self._execute_steps(value, path, plan.steps)

    def _object_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> ObjectPlan:
        """How to execute the selection set below `field_details_list`,
        worked out once per request and list (which belongs to one field, so
        `object_type` is always the same for it)."""
        key = id(field_details_list)
        plan = self._objects.get(key)
        if plan is None:
            sub_fields, new_defer_usages, _forbidden = self.collect_subfields(
                object_type, field_details_list
            )
            deferred = bool(new_defer_usages)
            steps = None if deferred else self._steps_for(object_type, sub_fields)
            plan = ObjectPlan(field_details_list, sub_fields, deferred, steps)
            self._objects[key] = plan
        return plan

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
        info: GraphQLResolveInfo[Any] | None = None
        iterator = iter(items)
        try:
            for index, item in enumerate(iterator):
                item_path = new_path((path, index, None))
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
                if type(result) not in SETTLED and is_awaitable(result):
                    result = self._settle(
                        result, item_type, field_details_list, item_path
                    )
                    awaiting.append(index)
                completed.append(result)
        except Exception:
            self._abandon(completed, awaiting, iterator)
            raise
        return _gathered(completed, awaiting) if awaiting else completed

    def complete_objects(
        self,
        items: Iterable[Any],
        item_type: GraphQLOutputType,
        object_type: GraphQLObjectType,
        nullable: bool,
        field_details_list: FieldDetailsList,
        path: Path,
        field: PlainField,
        field_path: Path | None,
    ) -> Any:
        """`complete_items` for items of an object type (`nullable` when
        `item_type` is), with the object completer (`_object`) inline and
        its plan looked up once."""
        plan = self._object_plan(object_type, field_details_list)
        if plan.deferred:
            raise _Fallback  # before reading any item
        is_type_of = object_type.is_type_of
        steps = plan.steps
        execute_steps = self._execute_steps
        completed: list[Any] = []
        awaiting: list[int] = []
        is_plain = self.is_plain
        is_awaitable = self.is_awaitable
        info: GraphQLResolveInfo[Any] | None = None
        iterator = iter(items)
        try:
            for index, item in enumerate(iterator):
                item_path = new_path((path, index, None))
                if item is None and nullable:
                    completed.append(None)
                    continue
                if (
                    item is None
                    or not is_plain(item)
                    or (is_type_of is not None and is_type_of(item, None) is not True)  # type: ignore[arg-type]
                ):
                    info = info or self._resolve_info(
                        field, field_details_list, field_path
                    )
                    if self._complete_item_stock(
                        item, completed, item_type, field_details_list, info, item_path
                    ):
                        awaiting.append(index)
                    continue
                try:
                    if steps is None:
                        result = super().execute_fields(
                            object_type, item, item_path, plan.sub_fields, None
                        )
                    else:
                        result = execute_steps(item, item_path, steps)
                except Exception as raw_error:  # from a non-null field below
                    self.handle_field_error(
                        raw_error, item_type, field_details_list, item_path
                    )
                    result = None
                if type(result) is not dict and is_awaitable(result):
                    result = self._settle(
                        result, item_type, field_details_list, item_path
                    )
                    awaiting.append(index)
                completed.append(result)
        except Exception:
            self._abandon(completed, awaiting, iterator)
            raise
        return _gathered(completed, awaiting) if awaiting else completed

    def _complete_item_stock(
        self,
        item: Any,
        completed: list[Any],
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
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

    def _abandon(
        self, completed: list[Any], awaiting: list[int], iterator: Iterator[Any]
    ) -> None:
        """A list failed: settle in the background what it still awaits,
        as `complete_iterable_value` does."""
        pending = [completed[index] for index in awaiting]
        pending.extend(collect_iterator_awaitables(iterator, self.is_awaitable))
        if pending:
            self.settle_in_background(pending)

    # --- helpers -------------------------------------------------------------------

    def is_plain(self, value: Any) -> bool:
        """Not a value that `complete_value` treats specially before it looks
        at the type: an exception, Undefined or an awaitable. The answer
        depends on the value's type alone (but for generators), so a type
        found plain is remembered for the rest of the request: a page asks
        it of every contact, email and tag."""
        value_type = type(value)
        if value_type in self._plain_types:
            return True
        plain = (
            value is not Undefined
            and not isinstance(value, Exception)
            and not self.is_awaitable(value)
        )
        if plain and value_type is not GeneratorType:
            self._plain_types.add(value_type)
        return plain

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
    ) -> GraphQLResolveInfo[Any]:
        """The info `execute_field` builds for the field a list belongs to."""
        assert field_path is not None  # lists are composite
        return self.build_resolve_info(
            field.field_def, to_nodes(field_details_list), field.parent_type, field_path
        )

    def _steps_for(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> Steps | None:
        """How to execute each key of a selection set; None when no field of
        it can be served inline. Planned once per document when the set is
        one of the document's plans, else once per request."""
        shared = self._document.steps.get(id(grouped_field_set))
        if shared is not None:
            return shared[1]
        key = (parent_type, id(grouped_field_set))
        cached = self._steps.get(key)
        if cached is None:
            steps = plan_steps(self._plain_fields, parent_type, grouped_field_set)
            cached = self._steps[key] = (grouped_field_set, steps)
        return cached[1]


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


# --- plans of a document, shared by its requests -------------------------------------


class DocumentPlans:
    """The collected selection sets of one document and their steps.

    strawberry's ParserCache hands every request with the same text the same
    `DocumentNode`, so its field nodes are the same objects each time and a
    selection set is known by the ids of its field nodes. `anchors` (the
    operation and the fragment definitions) keep those nodes alive, so that
    their ids are not reused while this object exists.
    """

    def __init__(self, anchors: tuple[Any, ...]) -> None:
        self.anchors = anchors
        self.fragments = {
            anchor.name.value: anchor
            for anchor in anchors
            if isinstance(anchor, FragmentDefinitionNode)
        }
        # None for a selection set collected afresh on each request.
        self._collected: dict[
            tuple[GraphQLObjectType, tuple[int, ...]], CollectedFields | None
        ] = {}
        # The steps of each collected set, by its id; the set is kept alive.
        self.steps: dict[int, tuple[GroupedFieldSet, Steps | None]] = {}
        self._lock = Lock()

    def collected(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        collect: Callable[[], CollectedFields],
        plain_fields: PlainFields,
    ) -> CollectedFields:
        """The subfields below `field_details_list`: collected once for the
        document when nothing per request can change them, else `collect()`."""
        if not all(
            details.defer_usage is None and details.fragment_variable_values is None
            for details in field_details_list
        ):
            return collect()
        key = (return_type, tuple(id(details.node) for details in field_details_list))
        shared = self._collected.get(key, Undefined)
        if shared is None:
            return collect()
        if shared is not Undefined:
            return shared  # type: ignore[return-value]
        collected = collect()
        # A walk per miss: the plans are shared by threads, a walk is not.
        static_selections = StaticSelections(self.fragments)
        static = all(
            static_selections.of(details.node.selection_set)
            for details in field_details_list
        )
        with self._lock:
            if len(self._collected) >= PLANS_PER_DOCUMENT:
                return collected
            shared = self._collected.setdefault(key, collected if static else None)
            if shared is collected:
                steps = plan_steps(plain_fields, return_type, collected[0])
                self.steps[id(collected[0])] = (collected[0], steps)
        return collected if shared is None else shared


class StaticSelections(SelectionFold[bool]):
    """Whether collecting a selection set meets no directive (so no @skip,
    @include or @defer, which may take variables) and no fragment argument:
    among its fields and fragments, not their subfields, which are
    collected on their own."""

    def field(self, node: FieldNode) -> bool:
        return not node.directives

    def combine(self, parts: list[bool]) -> bool:
        return all(parts)

    def inline_fragment(self, node: InlineFragmentNode) -> bool:
        return not node.directives and self.of(node.selection_set)

    def fragment_spread(self, node: FragmentSpreadNode) -> bool:
        fragment = self.fragments.get(node.name.value)
        return (
            fragment is not None
            and not node.directives
            and not node.arguments
            and not fragment.directives
            and not fragment.variable_definitions
            and self.fragment(node.name.value)
        )


class DocumentCache:
    """The plans of the documents most recently executed with one schema,
    at most `size` of them (least recently used go first)."""

    def __init__(self, size: int) -> None:
        self._plans: LruCache[tuple[int, ...], DocumentPlans] = LruCache(size)

    def get(
        self,
        operation: OperationDefinitionNode,
        fragment_definitions: dict[str, FragmentDefinitionNode],
    ) -> DocumentPlans:
        """The plans of the document made of these definitions."""
        anchors = (operation, *fragment_definitions.values())
        return self._plans.setdefault(
            tuple(map(id, anchors)), lambda: DocumentPlans(anchors)
        )


_DOCUMENT_CACHES: WeakKeyDictionary[GraphQLSchema, DocumentCache] = WeakKeyDictionary()


def document_plans_of(schema: GraphQLSchema) -> DocumentCache:
    cache = _DOCUMENT_CACHES.get(schema)
    if cache is None:
        cache = _DOCUMENT_CACHES[schema] = DocumentCache(DOCUMENTS)
    return cache


# --- steps ---------------------------------------------------------------------------


def plan_steps(
    plain_fields: PlainFields,
    parent_type: GraphQLObjectType,
    grouped_field_set: GroupedFieldSet,
) -> Steps | None:
    """How to execute each key of a selection set; None when no field of it
    can be served inline."""
    steps: list[Step] = []
    inline = False
    for response_name, field_details_list in grouped_field_set.items():
        step = _inline_step(
            plain_fields, parent_type, response_name, field_details_list
        )
        inline = inline or step is not None
        steps.append(
            step
            or Step(
                response_name,
                None,
                None,
                None,
                _stock(parent_type, response_name, field_details_list),
            )
        )
    return tuple(steps) if inline else None


def _inline_step(
    plain_fields: PlainFields,
    parent_type: GraphQLObjectType,
    response_name: str,
    field_details_list: FieldDetailsList,
) -> Step | None:
    """The step for `__typename` or a plain field used without arguments
    or directives (e.g. `@include(if: true)`); None for the stock path."""
    if any(
        details.node.directives or details.node.arguments
        for details in field_details_list
    ):
        return None
    field_name = field_details_list[0].node.name.value
    if field_name == "__typename":
        return Step(response_name, None, None, None, _typename(parent_type.name))
    field = plain_fields.get(parent_type, field_name)
    if field is None:
        return None
    if field.exact is None:
        run = _composite(field, response_name, field_details_list)
        return Step(response_name, None, None, None, run)
    run = _leaf_value(field, response_name, field_details_list)
    return Step(response_name, field.attribute, field.exact, field.also, run)


def _typename(name: str) -> Runner:
    def run_typename(executor: FastExecutor, source: Any, path: Path | None) -> Any:
        return name

    return run_typename


def _stock(
    parent_type: GraphQLObjectType,
    response_name: str,
    field_details_list: FieldDetailsList,
) -> Runner:
    """graphql-core's `execute_field` (Undefined when it skips the field)."""
    parent_name = parent_type.name

    def run_stock(executor: FastExecutor, source: Any, path: Path | None) -> Any:
        return executor.execute_field(
            parent_type,
            source,
            field_details_list,
            Path(path, response_name, parent_name),
            None,
        )

    return run_stock


def _leaf_value(
    field: PlainField, response_name: str, field_details_list: FieldDetailsList
) -> Runner:
    """A leaf's value that the loop does not keep as it is (a null, an
    exception, a value to coerce): completed inline if it can be, else as
    `execute_field` would complete what its resolver returned. The loop
    passes an exception the attribute raised as the value: the stock path
    reports it as it reports one the resolver raised."""
    complete = field.complete
    parent_name = field.parent_type.name

    def run_leaf(executor: FastExecutor, value: Any, path: Path | None) -> Any:
        try:
            completed = complete(executor, value, field_details_list, None, field, None)
        except _Fallback:
            field_path = Path(path, response_name, parent_name)
            return executor._complete_stock(
                field, field_details_list, field_path, value
            )
        if type(completed) not in PRIMITIVES and executor.is_awaitable(completed):
            return executor._settle(
                completed,
                field.field_def.type,
                field_details_list,
                Path(path, response_name, parent_name),
            )
        return completed

    return run_leaf


def _composite(
    field: PlainField, response_name: str, field_details_list: FieldDetailsList
) -> Runner:
    """`execute_field` for a plain list or object field: its resolver
    would only read the attribute, so read it here, and complete the value
    inline if the fast path can, else as `execute_field` would. The
    attribute is read once either way."""
    attribute = field.attribute
    complete = field.complete
    return_type = field.field_def.type
    parent_name = field.parent_type.name

    def run_composite(executor: FastExecutor, source: Any, path: Path | None) -> Any:
        field_path = new_path((path, response_name, parent_name))
        try:
            value = getattr(source, attribute)
            completed = complete(
                executor, value, field_details_list, field_path, field, field_path
            )
        except _Fallback:
            return executor._complete_stock(
                field, field_details_list, field_path, value
            )
        except Exception as raw_error:
            # Reading the attribute failed (as strawberry's resolver would),
            # or a non-null field below failed.
            executor.handle_field_error(
                raw_error, return_type, field_details_list, field_path
            )
            return None
        if type(completed) not in SETTLED and executor.is_awaitable(completed):
            return executor._settle(
                completed, return_type, field_details_list, field_path
            )
        return completed

    return run_composite


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
    nullable = not is_non_null_type(type_)
    named = type_ if nullable else type_.of_type  # type: ignore[union-attr]
    exact: type | None = None
    also: type | None = None
    if is_leaf_type(named):
        exact = UNCHANGED.get(named, _Never)
        also = NoneType if nullable else exact
    return PlainField(
        parent_type=parent_type,
        field_def=field_def,
        attribute=definition.python_name,
        complete=complete,
        exact=exact,
        also=also,
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
        item_type = type_.of_type
        item_nullable = not is_non_null_type(item_type)
        named = item_type if item_nullable else item_type.of_type
        if is_object_type(named) and _inline_object(named):
            return _object_list(item_type, named, item_nullable, nullable)
        complete_item = completer(item_type)
        return _list(item_type, complete_item, nullable) if complete_item else None
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


def _object_list(
    item_type: GraphQLOutputType,
    object_type: GraphQLObjectType,
    item_nullable: bool,
    nullable: bool,
) -> Completer:
    """Lists and tuples of objects, as `_list` with `_object` items would
    complete them, item by item in `FastExecutor.complete_objects`."""

    def complete_object_list(
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
        return executor.complete_objects(
            value,
            item_type,
            object_type,
            item_nullable,
            field_details_list,
            path,
            field,
            field_path,
        )

    return complete_object_list


def _inline_object(object_type: GraphQLObjectType) -> bool:
    """Objects of a type without `is_type_of`, or with the one strawberry
    gives types that implement an interface: an isinstance check that never
    reads its info argument, so it runs without one."""
    if object_type.is_type_of is None:
        return True
    definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition is not None and definition.is_type_of is None


def _object(object_type: GraphQLObjectType, nullable: bool) -> Completer | None:
    """Objects of a type `_inline_object` accepts."""
    if not _inline_object(object_type):
        return None
    is_type_of = object_type.is_type_of

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
