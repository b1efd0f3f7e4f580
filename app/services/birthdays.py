"""Upcoming birthdays: whose birthday falls in the next days, and when.

A birthday falls on its month and day every year; a 29 February birthday
falls on 28 February in the years that have no 29 February. The window is
`days` days from `start` (`start` itself is day 0, so `days=1` is `start`
alone), and each contact appears once, on the first day its birthday falls
on in the window, with the age it turns then (none for a birthday stored
without its year, in `NO_YEAR`).

One statement finds them: the window is one range of the contacts'
`birthday_md` (month * 100 + day, `app.models.birthday_key`), or two across
the year's end, among the user's contacts, which the index (user_id,
birthday_md) answers; the statement orders them soonest first (ties by
sort name, then id) and reads the fields the caller asks for, as a page of
the listing does (app/services/contact_rows.py). At most `MAX_RESULTS`
contacts come back, the soonest.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from app.db.reads import read_connection
from app.errors import BadUserInput
from app.fields import NO_YEAR
from app.models import Contact, birthday_key
from app.services.contact_rows import (
    ALL_FIELDS,
    ContactRecord,
    page_columns,
    with_relations,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366  # a whole year, a leap year's 29 February included
# The most contacts one answer holds (the soonest), and what the query cost
# counts a list of upcoming birthdays as (app/schema/limits.py).
MAX_RESULTS = 1000
LEAP_DAY = 229  # birthday_key of 29 February
LEAP_DAY_ELSE = 228  # where it falls in other years
# A record's birthday (a declared field, which the type checker cannot see).
birthday_of = attrgetter("birthday")


@dataclass(frozen=True)
class UpcomingBirthday:
    contact: ContactRecord
    date: date  # the day the birthday falls on
    days_until: int  # from the window's start: 0 is the start itself
    # None when the birthday is not before `date`, or has no year (NO_YEAR)
    turning_age: int | None


@dataclass(frozen=True)
class Window:
    """`days` days from `start`, as ranges of birthday keys, one per
    calendar year the window touches (in order; the last may overlap the
    first when the window spans a whole year)."""

    start: date
    days: int

    @classmethod
    def of(cls, days: int | None, start: date | None) -> Window:
        days = DEFAULT_DAYS if days is None else days
        if not 1 <= days <= MAX_DAYS:
            raise BadUserInput(f"`days` must be between 1 and {MAX_DAYS}.")
        start = start if start is not None else today()
        if date.max - start < timedelta(days=days - 1):
            raise BadUserInput("`from` is too late: the window ends after 9999.")
        return cls(start, days)

    @property
    def end(self) -> date:
        """The window's last day."""
        return self.start + timedelta(days=self.days - 1)

    def parts(self) -> list[tuple[int, int, int]]:
        """(year, lowest key, highest key) of each calendar year the window
        touches, in order."""
        start, end = self.start, self.end
        if start.year == end.year:
            return [(start.year, birthday_key(start) or 0, _last_key(end))]
        return [
            (start.year, birthday_key(start) or 0, 1231),
            (end.year, 101, _last_key(end)),
        ]


def _last_key(end: date) -> int:
    """The highest key whose birthday falls on or before `end` in its year:
    on 28 February of a year without 29 February, that of 29 February."""
    if (end.month, end.day) == (2, 28) and not isleap(end.year):
        return LEAP_DAY
    return birthday_key(end) or 0


def today() -> date:
    """Today in UTC, the default start of the window."""
    return datetime.now(UTC).date()


def falls_on(birthday: date, year: int) -> date:
    """The day `birthday` falls on in `year`."""
    if (birthday.month, birthday.day) == (2, 29) and not isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def next_birthday(birthday: date, start: date) -> date:
    """The first day on or after `start` that `birthday` falls on."""
    this_year = falls_on(birthday, start.year)
    return this_year if this_year >= start else falls_on(birthday, start.year + 1)


def upcoming(birthday: date, start: date) -> tuple[date, int, int | None]:
    """(the day, days until it, the age turned) of `birthday`'s next day
    from `start`; no age when the birthday is not before that day, or was
    stored without its year (NO_YEAR: an age from it would be nonsense)."""
    day = next_birthday(birthday, start)
    age = day.year - birthday.year
    known = age > 0 and birthday.year != NO_YEAR
    return day, (day - start).days, age if known else None


def upcoming_birthdays(
    user_id: int,
    days: int | None = None,
    start: date | None = None,
    fields: frozenset[str] = ALL_FIELDS,
    limit: int | None = None,
) -> list[UpcomingBirthday]:
    """The user's contacts whose birthday falls in the `days` (default 30,
    at most 366) from `start` (default today in UTC), soonest first, at
    most `limit` of them (default and at most MAX_RESULTS); the records
    hold `fields` (ContactRecord's names) and their birthday. BadUserInput
    when `days` or `limit` is out of range."""
    window = Window.of(days, start)
    limit = MAX_RESULTS if limit is None else limit
    if not 0 <= limit <= MAX_RESULTS:
        raise BadUserInput(f"`first` must be between 0 and {MAX_RESULTS}.")
    connection = read_connection()
    statement = page_columns(
        _matching(user_id, window).limit(limit),
        fields | {"birthday"},
        "sort_last",
        connection.dialect,
    )
    result = connection.execute(statement)
    columns = list(result.keys())
    records = with_relations(
        result.all(), columns, fields | {"birthday"}, connection.dialect
    )
    found = []
    for record in records:
        day, days_until, age = upcoming(birthday_of(record), window.start)
        found.append(UpcomingBirthday(record, day, days_until, age))
    return found


def _matching(user_id: int, window: Window) -> Any:
    """The user's contacts outside the trash whose birthday falls in
    `window`, soonest first, then by sort name and id."""
    key = Contact.birthday_md
    parts = window.parts()
    return (
        select(Contact.id)
        .where(
            Contact.user_id == user_id,
            Contact.deleted_at.is_(None),
            or_(*(key.between(low, high) for _, low, high in parts)),
        )
        .order_by(_soonest(key, parts), Contact.sort_last, Contact.id)
    )


def _soonest(
    key: InstrumentedAttribute[int | None], parts: list[tuple[int, int, int]]
) -> ColumnElement[int]:
    """An order of the keys in `parts` that is the order of the days they
    fall on: a later year's keys after an earlier one's, and 29 February
    with 28 February in a year without it."""
    whens = []
    for index, (year, low, high) in enumerate(parts):
        day = key if isleap(year) else case((key == LEAP_DAY, LEAP_DAY_ELSE), else_=key)
        whens.append((key.between(low, high), literal(index * 10000) + day))
    return case(*whens, else_=literal(0, Integer))
