"""mergeContacts and undoMerge, the ContactMerge node and their payload
(the rules: app/services/merges.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app import models
from app.errors import InvalidInput, UserErrorCode
from app.schema.common import Node, UserError, given, user_errors
from app.schema.contact import Contact
from app.schema.context import Info
from app.schema.ids import pk_of, to_global_id
from app.services import merges


@strawberry.input
class MergeContactsInput:
    primary_id: strawberry.ID = strawberry.field(
        description="The contact that stays, with the others merged in."
    )
    other_ids: list[strawberry.ID] = strawberry.field(
        description="The contacts merged into it (1 to 50), which go to the trash."
    )
    dry_run: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="True: answer with the merged contact, unsaved; nothing changes.",
    )


@strawberry.type(description="Contacts merged into one; undoMerge takes it back.")
class ContactMerge(Node):
    id: strawberry.ID
    contact: Contact = strawberry.field(
        description="The primary: the contact the others were merged into."
    )
    merged_ids: list[strawberry.ID] = strawberry.field(
        description="The contacts merged into it, in the order given."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, merge: models.ContactMerge) -> ContactMerge:
        return cls(
            id=strawberry.ID(to_global_id("ContactMerge", merge.id)),
            contact=Contact.from_model(merge.contact),
            merged_ids=[
                strawberry.ID(to_global_id("Contact", pk))
                for pk in merges.merged_ids(merge)
            ],
            created_at=merge.created_at,
        )


@strawberry.type
class MergeContactsPayload:
    merge: ContactMerge | None = strawberry.field(
        default=None, description="Null with dryRun and with userErrors."
    )
    contact: Contact | None = strawberry.field(
        default=None,
        description="The merged contact (unsaved with dryRun); after undoMerge, "
        "the primary as it was before the merge.",
    )
    current_contact: Contact | None = strawberry.field(
        default=None,
        description="Set with a CONFLICT on undoMerge: the primary as it is now.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, result: merges.MergeResult) -> MergeContactsPayload:
        return cls(
            merge=ContactMerge.from_model(result.merge) if result.merge else None,
            contact=Contact.from_model(result.contact),
        )


@strawberry.type
class MergeMutation:
    @strawberry.mutation(
        description=(
            "Merge contacts into one (the primary): it keeps its values, fills "
            "the ones it lacks from the others in order, and takes every email, "
            "phone, address and tag of theirs once; notes are joined. The others "
            "go to the trash. One MERGED revision of the primary."
        )
    )
    def merge_contacts(
        self, info: Info, input: MergeContactsInput
    ) -> MergeContactsPayload:
        viewer = info.context.require_viewer()
        primary = pk_of(input.primary_id, "Contact", "input.primaryId")
        others = [pk_of(pk, "Contact", "input.otherIds") for pk in input.other_ids]
        try:
            result = merges.merge_contacts(
                viewer.id, primary, others, bool(given(input.dry_run))
            )
        except InvalidInput as error:
            return MergeContactsPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return MergeContactsPayload.of(result)

    @strawberry.mutation(
        description=(
            "Take a merge back: the primary as it was before it (a REVERTED "
            "revision), the others out of the trash. CONFLICT, with "
            "currentContact, once the primary has changed since, one of the "
            "others was deleted for good, or the merge was already undone."
        )
    )
    def undo_merge(self, info: Info, id: strawberry.ID) -> MergeContactsPayload:
        viewer = info.context.require_viewer()
        pk = pk_of(id, "ContactMerge")
        try:
            result = merges.undo_merge(viewer.id, pk)
        except InvalidInput as error:
            conflict = any(e.code is UserErrorCode.CONFLICT for e in error.errors)
            current = merges.primary_now(viewer.id, pk) if conflict else None
            return MergeContactsPayload(
                current_contact=Contact.from_model(current) if current else None,
                user_errors=user_errors(error),
            )
        info.context.forget_tag_counts()
        return MergeContactsPayload.of(result)
