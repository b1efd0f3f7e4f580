"""Batches: createContacts, updateContacts, deleteContacts and their payloads."""

from __future__ import annotations

import strawberry

from app.errors import InvalidInput
from app.schema.common import UserError, given, user_errors
from app.schema.contact import (
    Contact,
    CreateContactInput,
    UpdateContactInput,
    provided_fields,
)
from app.schema.context import Info
from app.schema.ids import pk_of, to_global_id
from app.services import batches
from app.services.batches import MAX_DELETE_ITEMS, MAX_ITEMS


@strawberry.type
class ContactsPayload:
    contacts: list[Contact] | None = strawberry.field(
        default=None, description="In the order of the input; null with userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description='Paths start ["input", "<index>", …]: the item, by its index.',
    )


@strawberry.type
class DeleteContactsPayload:
    deleted_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="In the order of `ids`; null with userErrors."
    )
    user_errors: list[UserError] = strawberry.field(
        default_factory=list,
        description='Paths are ["ids", "<index>"]: the id, by its index.',
    )


def _uses(items: int, limit: int) -> int:
    """How many uses of the token a batch of `items` counts: one per item,
    at least one, and no more than a batch may hold (a longer one is
    refused)."""
    return max(1, min(items, limit))


ALL_OR_NOTHING = (
    "All or nothing: when any item fails, nothing changes and userErrors name "
    "each failing item by its index. Counts as one request per item against "
    "the rate limits."
)


@strawberry.type
class BatchMutation:
    @strawberry.mutation(
        description=f"Create up to {MAX_ITEMS} contacts at once. {ALL_OR_NOTHING}"
    )
    def create_contacts(
        self, info: Info, input: list[CreateContactInput]
    ) -> ContactsPayload:
        viewer = info.context.require_viewer(uses=_uses(len(input), MAX_ITEMS))
        try:
            created = batches.create_contacts(
                viewer.id, [provided_fields(item) for item in input]
            )
        except InvalidInput as error:
            return ContactsPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return ContactsPayload(contacts=[Contact.from_model(c) for c in created])

    @strawberry.mutation(
        description=(
            f"Change up to {MAX_ITEMS} contacts at once, each as updateContact "
            "would (each item with its own expectedVersion); a contact may be "
            f"named once. {ALL_OR_NOTHING}"
        )
    )
    def update_contacts(
        self, info: Info, input: list[UpdateContactInput]
    ) -> ContactsPayload:
        viewer = info.context.require_viewer(uses=_uses(len(input), MAX_ITEMS))
        items = [
            batches.UpdateItem(
                pk_of(item.id, "Contact", f"input.{index}.id"),
                provided_fields(item),
                given(item.expected_version),
            )
            for index, item in enumerate(input)
        ]
        try:
            updated = batches.update_contacts(viewer.id, items)
        except InvalidInput as error:
            return ContactsPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return ContactsPayload(contacts=[Contact.from_model(c) for c in updated])

    @strawberry.mutation(
        description=(
            f"Move up to {MAX_DELETE_ITEMS} contacts to the trash at once, as "
            f"deleteContact does; an id may be given once. {ALL_OR_NOTHING}"
        )
    )
    def delete_contacts(
        self, info: Info, ids: list[strawberry.ID]
    ) -> DeleteContactsPayload:
        viewer = info.context.require_viewer(uses=_uses(len(ids), MAX_DELETE_ITEMS))
        pks = [pk_of(id, "Contact", f"ids.{index}") for index, id in enumerate(ids)]
        try:
            deleted = batches.delete_contacts(viewer.id, pks)
        except InvalidInput as error:
            return DeleteContactsPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return DeleteContactsPayload(
            deleted_ids=[strawberry.ID(to_global_id("Contact", pk)) for pk in deleted]
        )
