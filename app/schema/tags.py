"""Tag writes: renameTag and deleteTag, and their payloads. The rules are
app/services/tags.py's."""

from __future__ import annotations

import strawberry

from app.errors import InvalidInput
from app.schema.common import UserError, user_errors
from app.schema.contact import Tag
from app.schema.context import Info
from app.schema.ids import pk_of, to_global_id
from app.services import tags


@strawberry.type
class TagPayload:
    tag: Tag | None = strawberry.field(
        default=None, description="The tag as it is now; null with userErrors."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteTagPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


CONTACTS_CHANGE = (
    "Every contact that carries the tag, in the trash too, moves to a new "
    "version with a {kind} revision in its history and in contactChanges."
)


@strawberry.type
class TagMutation:
    @strawberry.mutation(
        description=(
            "Rename a tag. When another of the viewer's tags has that name, "
            "ignoring case, merge into it: its contacts carry that tag instead "
            "(which keeps its name), this one is deleted, and the payload has "
            "the tag that remains. " + CONTACTS_CHANGE.format(kind="TAG_RENAMED")
        )
    )
    def rename_tag(self, info: Info, id: strawberry.ID, name: str) -> TagPayload:
        viewer = info.context.require_viewer()
        try:
            tag = tags.rename_tag(viewer.id, pk_of(id, "Tag"), name)
        except InvalidInput as error:
            return TagPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return TagPayload(tag=Tag.from_model(tag))

    @strawberry.mutation(
        description=(
            "Delete a tag; the contacts that carried it stay, without it. "
            + CONTACTS_CHANGE.format(kind="TAG_DELETED")
        )
    )
    def delete_tag(self, info: Info, id: strawberry.ID) -> DeleteTagPayload:
        viewer = info.context.require_viewer()
        try:
            deleted = tags.delete_tag(viewer.id, pk_of(id, "Tag"))
        except InvalidInput as error:
            return DeleteTagPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return DeleteTagPayload(deleted_id=strawberry.ID(to_global_id("Tag", deleted)))
