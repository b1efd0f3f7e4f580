"""Upcoming birthdays: the UpcomingBirthday type and its query."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from app.schema.common import given
from app.schema.contact import Contact, record_fields
from app.schema.context import Info
from app.schema.lookahead import selected_below
from app.services import birthdays
from app.services.birthdays import DEFAULT_DAYS, MAX_DAYS, MAX_RESULTS


@strawberry.type(description="A contact whose birthday falls in the window asked for.")
class UpcomingBirthday:
    contact: Contact
    date: dt.date = strawberry.field(
        description=(
            "The day the birthday falls on (28 February for 29 February in "
            "years without it)."
        )
    )
    days_until: int = strawberry.field(
        description="Days from `from` to `date`: 0 on the day itself."
    )
    turning_age: int | None = strawberry.field(
        description=(
            "The age the contact turns on `date`; null when the birthday "
            "given is not before `date`."
        )
    )

    @classmethod
    def from_service(cls, found: birthdays.UpcomingBirthday) -> UpcomingBirthday:
        return cls(
            contact=Contact.from_model(found.contact),
            date=found.date,
            days_until=found.days_until,
            turning_age=found.turning_age,
        )


@strawberry.type
class BirthdayQuery:
    @strawberry.field(
        description=(
            "The viewer's contacts whose birthday falls in the `days` days "
            "from `from` (that day included, across the year's end), soonest "
            "first, ties by last name then id; each once, at its next "
            f"birthday. At most {MAX_RESULTS:,} (the soonest)."
        )
    )
    def upcoming_birthdays(
        self,
        info: Info,
        days: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    f"Default {DEFAULT_DAYS}, at most {MAX_DAYS}; 1 is `from` alone."
                )
            ),
        ] = strawberry.UNSET,
        from_: Annotated[
            dt.date | None,
            strawberry.argument(name="from", description="Default: today in UTC."),
        ] = strawberry.UNSET,
        first: Annotated[
            int | None,
            strawberry.argument(
                description=(
                    f"At most this many, the soonest; default and at most "
                    f"{MAX_RESULTS:,}. A smaller number makes the query cost less."
                )
            ),
        ] = strawberry.UNSET,
    ) -> list[UpcomingBirthday]:
        viewer = info.context.require_viewer()
        found = birthdays.upcoming_birthdays(
            viewer.id,
            days=given(days),
            start=given(from_),
            fields=record_fields(selected_below(info, ("contact",))),
            limit=given(first),
        )
        return [UpcomingBirthday.from_service(item) for item in found]
