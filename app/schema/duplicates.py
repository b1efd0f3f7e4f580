"""Duplicates: `duplicateContacts`, groups of the viewer's contacts that
look like one person (the rules: app/services/matching.py; finding them:
app/services/duplicates.py). Nothing here merges."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.schema.common import given
from app.schema.contact import Contact, PageInfo, record_fields
from app.schema.context import Info
from app.schema.lookahead import arguments_at, selected_below
from app.services import duplicates
from app.services.contact_queries import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.services.contact_rows import ContactRecord
from app.services.matching import Reason

DuplicateReason = strawberry.enum(
    Reason,
    name="DuplicateReason",
    description="Why contacts look like one person.",
)


@strawberry.type(
    description=(
        "Contacts that look like one person: linked, directly or through "
        "each other, by an email (ignoring case), a phone, or the same name "
        "with nothing contradicting it (both have birthdays, companies, "
        "emails or phones and they differ or share none). Never merged "
        "automatically."
    )
)
class DuplicateGroup:
    reasons: list[DuplicateReason] = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Each kind of link found in the group. [SAME_NAME] alone: found "
            "by name only, so ask before merging."
        )
    )
    contact_count: int = strawberry.field(
        description="How many contacts the group holds; `contacts` shows the first."
    )
    # The records of the group's first contacts, as many as the query's
    # largest `contacts(first)` shows.
    records: strawberry.Private[list[ContactRecord]]

    @strawberry.field(
        description=(
            "The group's first contacts, by id: default 20, at most 100 "
            "(one mergeContacts takes the primary and 50 others)."
        )
    )
    def contacts(
        self,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
    ) -> list[Contact]:
        size = duplicates.first_or_default(given(first))
        return [Contact.from_model(record) for record in self.records[:size]]


@strawberry.type
class DuplicateGroupConnection:
    nodes: list[DuplicateGroup]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: duplicates.DuplicatePage) -> DuplicateGroupConnection:
        return cls(
            nodes=[
                DuplicateGroup(
                    reasons=list(group.reasons),
                    contact_count=len(group.contact_ids),
                    records=[
                        page.contacts[contact_id]
                        for contact_id in group.contact_ids
                        if contact_id in page.contacts
                    ],
                )
                for group in page.groups
            ],
            page_info=PageInfo.of(
                page.cursors,
                has_next_page=page.has_next_page,
                has_previous_page=page.has_previous_page,
            ),
        )


@strawberry.type
class DuplicateQuery:
    @strawberry.field(
        description=(
            "Groups of the viewer's contacts that look like one person, in "
            "the order their first-created contacts were created; the trash "
            "is left out."
        )
    )
    def duplicate_contacts(
        self,
        info: Info,
        first: Annotated[
            int | None, strawberry.argument(description="Default 20, at most 100.")
        ] = strawberry.UNSET,
        after: str | None = strawberry.UNSET,
    ) -> DuplicateGroupConnection:
        viewer = info.context.require_viewer()
        page = duplicates.list_duplicates(
            viewer.id,
            given(first),
            given(after),
            record_fields(selected_below(info, ("nodes", "contacts"))),
            _contacts_shown(info),
        )
        return DuplicateGroupConnection.from_page(page)


def _contacts_shown(info: Info) -> int:
    """How many of each group's contacts the query shows at most: the
    largest `contacts(first)` among its selections (0 without any). A
    `first` out of range is left to the `contacts` field, which refuses it."""
    sizes = [
        value if type(value) is int and 0 <= value <= MAX_PAGE_SIZE else None
        for value in arguments_at(info, ("nodes", "contacts"), "first")
    ]
    return max(
        (DEFAULT_PAGE_SIZE if size is None else size for size in sizes), default=0
    )
