"""A contact's history as the API shows it: ContactRevisionConnection."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from app.services import history
from app.services.change_log import as_json_text


@strawberry.enum(description="What a change to a contact did.")
class ContactChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"
    RESTORED = "RESTORED"
    REVERTED = "REVERTED"
    MERGED = "MERGED"
    TAG_RENAMED = "TAG_RENAMED"
    TAG_DELETED = "TAG_DELETED"


@strawberry.type(description="One field a change changed; values as JSON text.")
class FieldChange:
    field: str = strawberry.field(description="The field's name in the API.")
    before: str | None = strawberry.field(description="JSON text; null: no value.")
    after: str | None = strawberry.field(description="JSON text; null: no value.")


@strawberry.type(description="A version of a contact, and the change that made it.")
class ContactRevision:
    version: int
    changed_at: datetime
    kind: ContactChangeKind
    changes: list[FieldChange]


@strawberry.type
class ContactRevisionEdge:
    cursor: str
    node: ContactRevision


def revision_of(revision: history.Revision) -> ContactRevision:
    return ContactRevision(
        version=revision.version,
        changed_at=revision.changed_at,
        kind=ContactChangeKind(revision.kind.value),
        changes=[
            FieldChange(
                field=change.field,
                before=as_json_text(change.before),
                after=as_json_text(change.after),
            )
            for change in revision.changes
        ],
    )
