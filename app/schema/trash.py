"""The trash and reverts: `trash`, `restoreContact`, `purgeContact`,
`emptyTrash` and `revertContact` (the rules: app/services/trash.py and
app/services/history.py)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.errors import InvalidInput
from app.schema.common import UserError, given, user_errors
from app.schema.contact import (
    Contact,
    ContactConnection,
    ContactPayload,
    DeleteContactPayload,
)
from app.schema.context import Info
from app.schema.ids import pk_of, to_global_id
from app.services import history, trash


@strawberry.type
class EmptyTrashPayload:
    purged_count: int = 0
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevertContactInput:
    id: strawberry.ID
    to_version: int = strawberry.field(description="The version to make again.")
    expected_version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "When given and not the current version: CONFLICT, nothing changed."
        ),
    )


@strawberry.type
class TrashQuery:
    @strawberry.field(
        description=(
            "The viewer's deleted contacts, newest deletion first; each is "
            "kept for TRASH_RETENTION_DAYS (30 by default)."
        )
    )
    def trash(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> ContactConnection:
        viewer = info.context.require_viewer()
        page = trash.list_trash(viewer.id, given(first), given(after))
        return ContactConnection.of(
            page.contacts,
            page.cursors,
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            count_matches=page.count,
        )


@strawberry.type
class TrashMutation:
    @strawberry.mutation(
        description="Bring a contact back from the trash, as it was (lists, tags)."
    )
    def restore_contact(self, info: Info, id: strawberry.ID) -> ContactPayload:
        viewer = info.context.require_viewer()
        try:
            contact = trash.restore_contact(viewer.id, pk_of(id, "Contact"))
        except InvalidInput as error:
            return ContactPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return ContactPayload(contact=Contact.from_model(contact))

    @strawberry.mutation(description="Delete a contact in the trash, for good.")
    def purge_contact(self, info: Info, id: strawberry.ID) -> DeleteContactPayload:
        viewer = info.context.require_viewer()
        try:
            purged = trash.purge_contact(viewer.id, pk_of(id, "Contact"))
        except InvalidInput as error:
            return DeleteContactPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return DeleteContactPayload(
            deleted_id=strawberry.ID(to_global_id("Contact", purged))
        )

    @strawberry.mutation(description="Delete every contact in the trash, for good.")
    def empty_trash(self, info: Info) -> EmptyTrashPayload:
        viewer = info.context.require_viewer()
        purged = trash.empty_trash(viewer.id)
        info.context.forget_tag_counts()
        return EmptyTrashPayload(purged_count=purged)

    @strawberry.mutation(
        description=(
            "Make a contact equal to one of its versions again (lists and "
            "tags included): a new version."
        )
    )
    def revert_contact(self, info: Info, input: RevertContactInput) -> ContactPayload:
        viewer = info.context.require_viewer()
        pk = pk_of(input.id, "Contact", "input.id")
        try:
            contact = history.revert_contact(
                viewer.id, pk, input.to_version, given(input.expected_version)
            )
        except InvalidInput as error:
            return ContactPayload.refused(error, viewer.id, pk)
        info.context.forget_tag_counts()
        return ContactPayload(contact=Contact.from_model(contact))
