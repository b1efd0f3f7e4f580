"""The birthday rules without HTTP: the day a birthday falls on, the next
one from a day, the age turned, and the window's ranges of birthday keys."""

from __future__ import annotations

from datetime import date

import pytest

from app.errors import BadUserInput
from app.services.birthdays import Window, falls_on, next_birthday, upcoming


@pytest.mark.parametrize(
    ("birthday", "year", "expected"),
    [
        (date(2000, 2, 29), 2027, date(2027, 2, 28)),
        (date(2000, 2, 29), 2028, date(2028, 2, 29)),
        (date(2000, 2, 29), 2100, date(2100, 2, 28)),  # not a leap year
        (date(2000, 2, 28), 2028, date(2028, 2, 28)),
        (date(1815, 12, 10), 2026, date(2026, 12, 10)),
    ],
)
def test_falls_on(birthday: date, year: int, expected: date) -> None:
    assert falls_on(birthday, year) == expected


@pytest.mark.parametrize(
    ("birthday", "start", "expected"),
    [
        (date(1980, 5, 5), date(2026, 5, 5), date(2026, 5, 5)),
        (date(1980, 5, 5), date(2026, 5, 6), date(2027, 5, 5)),
        (date(1980, 1, 1), date(2026, 12, 31), date(2027, 1, 1)),
        (date(2000, 2, 29), date(2027, 2, 28), date(2027, 2, 28)),
        (date(2000, 2, 29), date(2027, 3, 1), date(2028, 2, 29)),
        (date(2000, 2, 29), date(2028, 3, 1), date(2029, 2, 28)),
    ],
)
def test_next_birthday(birthday: date, start: date, expected: date) -> None:
    assert next_birthday(birthday, start) == expected


@pytest.mark.parametrize(
    ("birthday", "start", "expected"),
    [
        (date(1815, 12, 10), date(2026, 12, 1), (date(2026, 12, 10), 9, 211)),
        (date(2025, 12, 6), date(2026, 12, 6), (date(2026, 12, 6), 0, 1)),
        (date(2026, 12, 6), date(2026, 12, 6), (date(2026, 12, 6), 0, None)),
        (date(2027, 1, 6), date(2026, 12, 6), (date(2027, 1, 6), 31, None)),
        (date(2000, 2, 29), date(2027, 2, 1), (date(2027, 2, 28), 27, 27)),
    ],
)
def test_upcoming_gives_the_day_days_until_and_age(
    birthday: date, start: date, expected: tuple[date, int, int | None]
) -> None:
    assert upcoming(birthday, start) == expected


@pytest.mark.parametrize(
    ("start", "days", "parts"),
    [
        (date(2026, 6, 10), 30, [(2026, 610, 709)]),
        (date(2026, 6, 10), 1, [(2026, 610, 610)]),
        (date(2026, 12, 20), 30, [(2026, 1220, 1231), (2027, 101, 118)]),
        (date(2026, 12, 31), 2, [(2026, 1231, 1231), (2027, 101, 101)]),
        # Ending on 28 February of a common year takes in 29 February.
        (date(2027, 2, 1), 28, [(2027, 201, 229)]),
        (date(2028, 2, 1), 28, [(2028, 201, 228)]),
        (date(2028, 2, 1), 29, [(2028, 201, 229)]),
        # A whole year: the two ranges meet.
        (date(2026, 3, 1), 366, [(2026, 301, 1231), (2027, 101, 301)]),
        (date(2028, 1, 1), 366, [(2028, 101, 1231)]),
    ],
)
def test_window_parts(
    start: date, days: int, parts: list[tuple[int, int, int]]
) -> None:
    assert Window.of(days, start).parts() == parts


@pytest.mark.parametrize("days", [0, -1, 367])
def test_window_days_out_of_range(days: int) -> None:
    with pytest.raises(BadUserInput, match="between 1 and 366"):
        Window.of(days, date(2026, 1, 1))


def test_window_defaults_to_30_days() -> None:
    window = Window.of(None, date(2026, 1, 1))
    assert (window.start, window.end) == (date(2026, 1, 1), date(2026, 1, 30))


def test_window_may_end_on_the_last_day_there_is() -> None:
    assert Window.of(2, date(9999, 12, 30)).end == date(9999, 12, 31)
    with pytest.raises(BadUserInput, match="too late"):
        Window.of(3, date(9999, 12, 30))
