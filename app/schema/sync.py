"""`contactChanges`: incremental sync for offline clients (the rules:
app/services/sync.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.schema.common import given
from app.schema.contact import Contact, PageInfo
from app.schema.context import Info
from app.schema.ids import to_global_id
from app.services import sync


@strawberry.type(
    description="A contact created or changed since the token, or a tombstone."
)
class ContactChange:
    contact: Contact | None = strawberry.field(
        description="Its current state; null for a deletion."
    )
    deleted_id: strawberry.ID | None = strawberry.field(
        description="Set for a deletion (trash, purge, merge)."
    )
    deleted_at: datetime | None

    @classmethod
    def of(cls, change: sync.SyncChange) -> ContactChange:
        if change.contact is not None:
            return cls(
                contact=Contact.from_model(change.contact),
                deleted_id=None,
                deleted_at=None,
            )
        assert change.deleted_id is not None
        return cls(
            contact=None,
            deleted_id=strawberry.ID(to_global_id("Contact", change.deleted_id)),
            deleted_at=change.deleted_at,
        )


@strawberry.type
class ContactChangeConnection:
    changes: list[ContactChange]
    page_info: PageInfo
    next_sync_token: str | None = strawberry.field(
        description="On the last page only: give it as syncToken next time."
    )


@strawberry.type
class SyncQuery:
    @strawberry.field(
        description=(
            "Incremental sync. Without syncToken: every contact (not in the "
            "trash). With one: each contact created or changed since, once, as "
            "it is now, and a tombstone for each deleted since. The next token "
            "comes on the last page; an expired or foreign token is the error "
            "SYNC_TOKEN_EXPIRED: sync again without one."
        )
    )
    def contact_changes(
        self,
        info: Info,
        sync_token: str | None = strawberry.UNSET,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> ContactChangeConnection:
        viewer = info.context.require_viewer()
        page = sync.contact_changes(
            viewer.id, given(sync_token), given(first), given(after)
        )
        return ContactChangeConnection(
            changes=[ContactChange.of(change) for change in page.changes],
            page_info=PageInfo.of(
                page.cursors,
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
            ),
            next_sync_token=page.next_sync_token,
        )
