"""Contacts and tags: types, inputs, the connection, queries and mutations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import MISSING
from datetime import datetime
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import Annotated, Any, TypeVar, cast

import strawberry
from strawberry.utils.str_converters import to_camel_case

from app import models
from app.errors import InvalidInput, UserErrorCode
from app.fields import CONTACT_FIELDS as DECLARED_FIELDS
from app.fields import (
    FALLBACK_FIELDS,
    PYTHON_TYPES,
    SEARCH_NAME_FIELDS,
    SEARCH_OTHER_FIELDS,
    add_fields,
    full_name_pattern,
    needs_one_of,
    nouns,
)
from app.schema.common import Node, UserError, given, user_errors
from app.schema.context import Info
from app.schema.ids import from_global_id, pk_of, to_global_id
from app.schema.lookahead import selected_below
from app.schema.revisions import ContactRevision, revision_of
from app.services import contact_queries, contacts, history
from app.services.contact_input import AddressInput, EmailInput, PhoneInput
from app.services.contact_rows import UNLOADED, ContactRecord

T = TypeVar("T")


# EmailAddress, PhoneNumber and PostalAddress implement no interface, so
# GraphQL reads their fields by attribute name and checks no class: the ORM's
# rows and the listing's items serve as they are (see `_read_as`).


@strawberry.type
class EmailAddress:
    value: str
    label: str | None
    primary: bool


@strawberry.type
class PhoneNumber:
    value: str = strawberry.field(description="E.164, e.g. +16502530000.")
    label: str | None
    primary: bool


@strawberry.type
class PostalAddress:
    label: str | None
    street: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None = strawberry.field(description="ISO 3166-1 alpha-2.")


@strawberry.type(description="A label the viewer puts on contacts.")
class Tag(Node):
    id: strawberry.ID
    name: str
    pk: strawberry.Private[int]

    @strawberry.field(description="How many of the viewer's contacts carry the tag.")
    def contact_count(self, info: Info) -> int:
        return info.context.tag_contact_counts.get(self.pk, 0)

    @classmethod
    def from_model(cls, tag: Any) -> Tag:
        """From a models.Tag, or a row with its id and name."""
        return cls(
            id=strawberry.ID(to_global_id("Tag", tag.id)), name=tag.name, pk=tag.id
        )


def _display_name_description() -> str:
    """'"first last", else company, else first email, else first phone.'"""
    fallbacks = [*nouns(FALLBACK_FIELDS), "first email", "first phone"]
    return f'"{full_name_pattern()}", else {", else ".join(fallbacks)}.'


def _search_description() -> str:
    """ "Case-insensitive substring of names, company, emails, phones." """
    names = ["names"] if SEARCH_NAME_FIELDS else []
    searched = [*names, *nouns(SEARCH_OTHER_FIELDS), "emails", "phones"]
    return f"Case-insensitive substring of {', '.join(searched)}."


def _output_fields() -> dict[str, tuple[Any, Any]]:
    """The declared fields as the Contact type shows them."""
    return {
        field.name: (
            field.python_type,
            strawberry.field(description=field.description)
            if field.description
            else MISSING,
        )
        for field in DECLARED_FIELDS
    }


def _input_fields() -> dict[str, tuple[Any, Any]]:
    """The declared fields as inputs take them: optional, described with
    their limits; omitted is UNSET, null clears."""
    return {
        field.name: (
            PYTHON_TYPES[field.kind] | None,
            strawberry.field(
                default=strawberry.UNSET, description=field.input_description
            ),
        )
        for field in DECLARED_FIELDS
    }


@strawberry.type(description="A person or organisation in the viewer's address book.")
@partial(add_fields, fields=_output_fields(), after="id")
class Contact(Node):
    """Also has the declared fields (app.fields) after its id, which
    `add_fields` adds before strawberry reads the class."""

    id: strawberry.ID
    display_name: str = strawberry.field(description=_display_name_description())
    emails: list[EmailAddress]
    phones: list[PhoneNumber]
    addresses: list[PostalAddress]
    tags: list[Tag]
    version: int = strawberry.field(description="+1 on every change.")
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = strawberry.field(
        description="Set while in the trash."
    )

    @strawberry.field(description="The contact's versions, newest first.")
    def history(
        self,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> ContactRevisionConnection:
        _, pk = from_global_id(self.id)
        assert isinstance(pk, int)
        page = history.list_history(pk, given(first), given(after))
        return ContactRevisionConnection.from_page(page)

    @classmethod
    def from_model(cls, contact: models.Contact | ContactRecord) -> Contact:
        """The contact as the API shows it. A listing's record may leave
        related lists UNLOADED (not selected); they stay so, unread."""
        return cls(
            id=strawberry.ID(to_global_id("Contact", contact.id)),
            **dict(zip(SCALAR_NAMES, _scalars(contact), strict=True)),
            display_name=contact.display_name,
            emails=_read_as(contact.emails, EmailAddress),
            phones=_read_as(contact.phones, PhoneNumber),
            addresses=_read_as(contact.addresses, PostalAddress),
            tags=_each(contact.tags, Tag.from_model),
            version=contact.version,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            deleted_at=contact.deleted_at,
        )


SCALAR_NAMES = tuple(field.name for field in DECLARED_FIELDS)
# The declared fields' values of a model or record, in SCALAR_NAMES order.
_scalars = attrgetter(*SCALAR_NAMES)
# The Python name of each Contact field, by its GraphQL name.
CONTACT_FIELDS = {
    to_camel_case(field.python_name): field.python_name
    for field in Contact.__strawberry_definition__.fields  # type: ignore[attr-defined]
}


def record_fields(names: Iterable[str]) -> frozenset[str]:
    """The Python names of the Contact fields named `names` (GraphQL names;
    the others are left out)."""
    return frozenset(CONTACT_FIELDS[name] for name in names if name in CONTACT_FIELDS)


def _read_as(items: Sequence[Any], _type: type[T]) -> list[T]:
    """`items`, unconverted, as a list of the interface-free GraphQL type
    `_type`, whose fields they have as attributes (UNLOADED stays so)."""
    return cast(list[T], items)


def _each(items: Sequence[Any], convert: Callable[[Any], T]) -> list[T]:
    if items is UNLOADED:
        return UNLOADED  # type: ignore[return-value]
    return [convert(item) for item in items]


@strawberry.type
class ContactEdge:
    cursor: str
    node: Contact


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(
        cls, cursors: Sequence[str], *, has_next_page: bool, has_previous_page: bool
    ) -> PageInfo:
        """The page info of a page whose items have these `cursors`."""
        return cls(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )


@strawberry.type
class ContactConnection:
    edges: list[ContactEdge]
    page_info: PageInfo
    nodes: list[Contact]
    count_matches: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="All matches of the filter, not just this page.")
    def total_count(self) -> int:
        return self.count_matches()

    @classmethod
    def from_page(cls, page: contact_queries.ContactPage) -> ContactConnection:
        return cls.of(
            page.contacts,
            page.cursors,
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            count_matches=page.count_matches,
        )

    @classmethod
    def of(
        cls,
        contacts: Sequence[models.Contact | ContactRecord],
        cursors: list[str],
        *,
        has_next_page: bool,
        has_previous_page: bool,
        count_matches: Callable[[], int],
    ) -> ContactConnection:
        nodes = [Contact.from_model(contact) for contact in contacts]
        return cls(
            edges=[
                ContactEdge(cursor=cursor, node=node)
                for cursor, node in zip(cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.of(
                cursors,
                has_next_page=has_next_page,
                has_previous_page=has_previous_page,
            ),
            count_matches=count_matches,
        )


@strawberry.type
class ContactRevisionEdge:
    cursor: str
    node: ContactRevision


@strawberry.type
class ContactRevisionConnection:
    edges: list[ContactRevisionEdge]
    nodes: list[ContactRevision]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: history.RevisionPage) -> ContactRevisionConnection:
        nodes = [revision_of(revision) for revision in page.revisions]
        cursors = [revision.cursor for revision in page.revisions]
        return cls(
            edges=[
                ContactRevisionEdge(cursor=cursor, node=node)
                for cursor, node in zip(cursors, nodes, strict=True)
            ],
            nodes=nodes,
            page_info=PageInfo.of(
                cursors,
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
            ),
        )


@strawberry.input
class ContactFilter:
    search: str | None = strawberry.field(
        default=strawberry.UNSET, description=_search_description()
    )
    tag: str | None = strawberry.field(
        default=strawberry.UNSET, description="Tag name, case-insensitive."
    )
    favorite: bool | None = strawberry.UNSET
    updated_since: datetime | None = strawberry.UNSET

    def to_service(self) -> contact_queries.ContactFilter:
        return contact_queries.ContactFilter(
            search=given(self.search),
            tag=given(self.tag),
            favorite=given(self.favorite),
            updated_since=given(self.updated_since),
        )


ContactOrderField = strawberry.enum(
    contact_queries.OrderField, name="ContactOrderField"
)


@strawberry.enum
class OrderDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class ContactOrder:
    field: ContactOrderField  # type: ignore[valid-type]
    direction: OrderDirection

    def to_service(self) -> contact_queries.ContactOrder:
        return contact_queries.ContactOrder(
            field=self.field, descending=self.direction is OrderDirection.DESC
        )


@strawberry.input
class EmailAddressInput:
    value: str = strawberry.field(description="At most 254 characters.")
    label: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50 characters."
    )
    primary: bool | None = strawberry.UNSET

    def to_service(self) -> EmailInput:
        return EmailInput(self.value, given(self.label), given(self.primary))


@strawberry.input
class PhoneNumberInput:
    value: str = strawberry.field(
        description=(
            "International (+…), or national with `region`; at most 50 characters."
        )
    )
    label: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50 characters."
    )
    primary: bool | None = strawberry.UNSET
    region: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="ISO 3166-1 alpha-2, to read national numbers.",
    )

    def to_service(self) -> PhoneInput:
        return PhoneInput(
            self.value, given(self.label), given(self.primary), given(self.region)
        )


@strawberry.input
class PostalAddressInput:
    label: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50 characters."
    )
    street: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 200 characters."
    )
    city: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 100 characters."
    )
    region: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 100 characters."
    )
    postal_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 20 characters."
    )
    country: str | None = strawberry.field(
        default=strawberry.UNSET, description="ISO 3166-1 alpha-2, e.g. US."
    )

    def to_service(self) -> AddressInput:
        return AddressInput(
            label=given(self.label),
            street=given(self.street),
            city=given(self.city),
            region=given(self.region),
            postal_code=given(self.postal_code),
            country=given(self.country),
        )


@strawberry.input(description=f"A contact needs a {needs_one_of()}.")
@partial(add_fields, fields=_input_fields())
class CreateContactInput:
    """Also has the declared fields (app.fields) first, which `add_fields`
    adds before strawberry reads the class."""

    emails: list[EmailAddressInput] | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50; one primary at most."
    )
    phones: list[PhoneNumberInput] | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50; one primary at most."
    )
    addresses: list[PostalAddressInput] | None = strawberry.field(
        default=strawberry.UNSET, description="At most 50."
    )
    tags: list[str] | None = strawberry.field(
        default=strawberry.UNSET,
        description="Tag names, at most 50 characters each; created when new.",
    )


@strawberry.input(
    description="Omitted fields stay; null clears; a list given replaces the list."
)
class UpdateContactInput(CreateContactInput):
    id: strawberry.ID
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "When given and not the current version: CONFLICT, nothing changed."
        ),
    )


CONVERTED_LISTS = ("emails", "phones", "addresses")


def provided_fields(input: CreateContactInput) -> dict[str, Any]:
    """The fields the client gave (null included), as service values."""
    fields: dict[str, Any] = {}
    for name in contacts.CONTACT_FIELDS:
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if name in CONVERTED_LISTS and value is not None:
            value = [item.to_service() for item in value]
        fields[name] = value
    return fields


@strawberry.type
class ContactPayload:
    contact: Contact | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
    current_contact: Contact | None = strawberry.field(
        default=None,
        description="Set with a CONFLICT: the contact as it is now.",
    )

    @classmethod
    def refused(
        cls, error: InvalidInput, user_id: int, contact_id: int | None
    ) -> ContactPayload:
        """The payload of a refused write; with a stale expectedVersion
        (CONFLICT), the contact as it stands now."""
        current = None
        if contact_id is not None and any(
            item.code is UserErrorCode.CONFLICT for item in error.errors
        ):
            found = contacts.get_contact(user_id, contact_id)
            current = Contact.from_model(found) if found else None
        return cls(user_errors=user_errors(error), current_contact=current)


@strawberry.type
class DeleteContactPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ContactQuery:
    @strawberry.field(description="Null when missing or not the viewer's.")
    def contact(self, info: Info, id: strawberry.ID) -> Contact | None:
        viewer = info.context.require_viewer()
        pk = pk_of(id, "Contact")
        found = contacts.get_contact(viewer.id, pk) if pk is not None else None
        return Contact.from_model(found) if found else None

    @strawberry.field(description="The viewer's contacts, a page at a time.")
    def contacts(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
        last: Annotated[
            int | None, strawberry.argument(description="At most 100.")
        ] = strawberry.UNSET,
        before: str | None = strawberry.UNSET,
        filter: ContactFilter | None = strawberry.UNSET,
        order_by: Annotated[
            ContactOrder | None,
            strawberry.argument(
                description="Default LAST_NAME ASC; ties broken by id."
            ),
        ] = strawberry.UNSET,
    ) -> ContactConnection:
        viewer = info.context.require_viewer()
        contact_filter = given(filter)
        order = given(order_by)
        page = contact_queries.list_contacts(
            viewer.id,
            contact_queries.PageRequest(
                first=given(first),
                after=given(after),
                last=given(last),
                before=given(before),
            ),
            contact_filter.to_service() if contact_filter else None,
            order.to_service() if order else None,
            record_fields(selected_below(info, ("edges", "node"), ("nodes",))),
        )
        return ContactConnection.from_page(page)

    @strawberry.field(description="The viewer's tags, by name.")
    def tags(self, info: Info) -> list[Tag]:
        viewer = info.context.require_viewer()
        return [Tag.from_model(tag) for tag in contacts.list_tags(viewer.id)]


@strawberry.type
class ContactMutation:
    @strawberry.mutation
    def create_contact(self, info: Info, input: CreateContactInput) -> ContactPayload:
        viewer = info.context.require_viewer()
        try:
            contact = contacts.create_contact(viewer.id, provided_fields(input))
        except InvalidInput as error:
            return ContactPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return ContactPayload(contact=Contact.from_model(contact))

    @strawberry.mutation
    def update_contact(self, info: Info, input: UpdateContactInput) -> ContactPayload:
        viewer = info.context.require_viewer()
        pk = pk_of(input.id, "Contact", "input.id")
        try:
            contact = contacts.update_contact(
                viewer.id,
                pk,
                provided_fields(input),
                given(input.expected_version),
            )
        except InvalidInput as error:
            return ContactPayload.refused(error, viewer.id, pk)
        info.context.forget_tag_counts()
        return ContactPayload(contact=Contact.from_model(contact))

    @strawberry.mutation(
        description=(
            "Move a contact to the trash: gone from every query as before; "
            "restoreContact brings it back for TRASH_RETENTION_DAYS (30)."
        )
    )
    def delete_contact(self, info: Info, id: strawberry.ID) -> DeleteContactPayload:
        viewer = info.context.require_viewer()
        pk = pk_of(id, "Contact")
        try:
            deleted = contacts.delete_contact(viewer.id, pk)
        except InvalidInput as error:
            return DeleteContactPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return DeleteContactPayload(
            deleted_id=strawberry.ID(to_global_id("Contact", deleted))
        )
