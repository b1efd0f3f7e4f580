"""upcomingBirthdays through /graphql: the window (its bounds, the year's
end, leap years and 29 February), the order, the age turned, the viewer's
contacts only, and the arguments' limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Accounts, GraphQL, create_contact, delete, update_contact

UPCOMING = """
query Upcoming($days: Int, $from: Date, $first: Int) {
  upcomingBirthdays(days: $days, from: $from, first: $first) {
    contact { id displayName birthday }
    date
    daysUntil
    turningAge
  }
}
"""
WITH_LISTS = """
query Upcoming($from: Date) {
  upcomingBirthdays(from: $from, days: 10, first: 100) {
    contact { displayName emails { value } tags { name } }
    date
  }
}
"""


def add(gql: GraphQL, token: str, name: str, birthday: str | None) -> str:
    contact = create_contact(gql, token, {"firstName": name, "birthday": birthday})
    contact_id: str = contact["id"]
    return contact_id


def upcoming(
    gql: GraphQL, token: str, **variables: Any
) -> list[tuple[str, str, int, int | None]]:
    """(name, date, daysUntil, turningAge) of each upcoming birthday."""
    found = gql.data(UPCOMING, variables, token)["upcomingBirthdays"]
    return [
        (
            item["contact"]["displayName"],
            item["date"],
            item["daysUntil"],
            item["turningAge"],
        )
        for item in found
    ]


def test_birthdays_in_the_window_soonest_first_with_the_age_turned(
    gql: GraphQL, token: str
) -> None:
    add(gql, token, "Ada", "1815-12-10")
    add(gql, token, "Grace", "1906-12-09")
    add(gql, token, "Alan", "1912-06-23")
    add(gql, token, "Nobody", None)
    add(gql, token, "Today", "1990-12-01")
    add(gql, token, "Last", "2000-12-30")
    add(gql, token, "Out", "2000-12-31")

    assert upcoming(gql, token, **{"from": "2026-12-01"}) == [
        ("Today", "2026-12-01", 0, 36),
        ("Grace", "2026-12-09", 8, 120),
        ("Ada", "2026-12-10", 9, 211),
        ("Last", "2026-12-30", 29, 26),
    ]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, ["Today"]),
        (2, ["Today", "Tomorrow"]),
        (30, ["Today", "Tomorrow", "Day 29"]),
        (31, ["Today", "Tomorrow", "Day 29", "Day 30"]),
    ],
)
def test_days_counts_the_start_as_day_0(
    gql: GraphQL, token: str, days: int, expected: list[str]
) -> None:
    start = date(2026, 3, 10)
    offsets = [("Today", 0), ("Tomorrow", 1), ("Day 29", 29), ("Day 30", 30)]
    for name, offset in [*offsets, ("Yesterday", -1)]:
        add(
            gql, token, name, (start + timedelta(offset)).replace(year=1980).isoformat()
        )

    found = upcoming(gql, token, days=days, **{"from": start.isoformat()})

    assert [name for name, *_ in found] == expected


def test_the_window_crosses_the_years_end(gql: GraphQL, token: str) -> None:
    add(gql, token, "January", "1980-01-02")
    add(gql, token, "New Year", "1980-01-01")
    add(gql, token, "December", "1980-12-31")
    add(gql, token, "Christmas", "1980-12-25")
    add(gql, token, "Too late", "1980-01-14")

    assert upcoming(gql, token, days=20, **{"from": "2026-12-25"}) == [
        ("Christmas", "2026-12-25", 0, 46),
        ("December", "2026-12-31", 6, 46),
        ("New Year", "2027-01-01", 7, 47),
        ("January", "2027-01-02", 8, 47),
    ]


def test_29_february_falls_on_28_february_in_other_years(
    gql: GraphQL, token: str
) -> None:
    add(gql, token, "Leapling", "2000-02-29")
    add(gql, token, "Bea", "1990-02-28")
    add(gql, token, "March", "1990-03-01")

    # 2027 has no 29 February: both on the 28th, by name.
    assert upcoming(gql, token, days=2, **{"from": "2027-02-27"}) == [
        ("Bea", "2027-02-28", 1, 37),
        ("Leapling", "2027-02-28", 1, 27),
    ]
    # On the 28th itself, the window of one day holds both.
    assert [n for n, *_ in upcoming(gql, token, days=1, **{"from": "2027-02-28"})] == [
        "Bea",
        "Leapling",
    ]
    # From 1 March it is past: next on 28 February 2028? No: 2028 is leap.
    assert upcoming(gql, token, days=366, **{"from": "2027-03-01"})[-2:] == [
        ("Bea", "2028-02-28", 364, 38),
        ("Leapling", "2028-02-29", 365, 28),
    ]
    # 2028 has it: the leapling on the 29th, after Bea.
    assert upcoming(gql, token, days=3, **{"from": "2028-02-28"}) == [
        ("Bea", "2028-02-28", 0, 38),
        ("Leapling", "2028-02-29", 1, 28),
        ("March", "2028-03-01", 2, 38),
    ]


def test_a_window_ending_on_28_february_of_a_common_year_holds_29_february(
    gql: GraphQL, token: str
) -> None:
    add(gql, token, "Leapling", "2004-02-29")

    assert upcoming(gql, token, days=10, **{"from": "2027-02-19"}) == [
        ("Leapling", "2027-02-28", 9, 23),
    ]
    assert upcoming(gql, token, days=9, **{"from": "2027-02-19"}) == []
    # Across the year's end into a common year.
    assert upcoming(gql, token, days=366, **{"from": "2026-03-01"})[-1] == (
        "Leapling",
        "2027-02-28",
        364,
        23,
    )


def test_a_whole_year_lists_everyone_once_at_their_next_birthday(
    gql: GraphQL, token: str
) -> None:
    add(gql, token, "Start", "1980-03-01")
    add(gql, token, "Eve", "1980-02-29")
    add(gql, token, "Before", "1980-02-28")

    # 2027-03-01 + 365 days is 2028-02-29: the window holds one 1 March only.
    assert upcoming(gql, token, days=366, **{"from": "2027-03-01"}) == [
        ("Start", "2027-03-01", 0, 47),
        ("Before", "2028-02-28", 364, 48),
        ("Eve", "2028-02-29", 365, 48),
    ]
    # From 2 March 2026 the year ends on 2027-03-02, which holds 1 March 2027.
    assert upcoming(gql, token, days=366, **{"from": "2026-03-02"}) == [
        ("Before", "2027-02-28", 363, 47),
        ("Eve", "2027-02-28", 363, 47),
        ("Start", "2027-03-01", 364, 47),
    ]


def test_turning_age_is_null_for_a_birthday_not_before_the_day(
    gql: GraphQL, token: str
) -> None:
    add(gql, token, "Born today", "2026-12-05")
    add(gql, token, "Due", "2027-01-10")
    add(gql, token, "One", "2025-12-06")

    assert upcoming(gql, token, days=40, **{"from": "2026-12-05"}) == [
        ("Born today", "2026-12-05", 0, None),
        ("One", "2026-12-06", 1, 1),
        ("Due", "2027-01-10", 36, None),
    ]


def test_turning_age_is_null_for_a_birthday_without_its_year(
    gql: GraphQL, token: str
) -> None:
    # 1604 is the year a birthday without one is stored in (app.fields.NO_YEAR):
    # an import of "--0229" or Apple's X-APPLE-OMIT-YEAR=1604 gives it.
    add(gql, token, "No year", "1604-02-29")
    add(gql, token, "1605", "1605-03-01")

    assert upcoming(gql, token, days=3, **{"from": "2027-02-27"}) == [
        ("No year", "2027-02-28", 1, None),
        ("1605", "2027-03-01", 2, 422),
    ]
    assert upcoming(gql, token, days=1, **{"from": "2028-02-29"}) == [
        ("No year", "2028-02-29", 0, None),
    ]


def test_ties_are_ordered_by_last_name_then_id(gql: GraphQL, token: str) -> None:
    ids = [
        create_contact(gql, token, {"lastName": name, "birthday": "1970-05-05"})["id"]
        for name in ["Young", "adams", "Young", "Baker"]
    ]

    found = gql.data(UPCOMING, {"from": "2026-05-01"}, token)["upcomingBirthdays"]

    assert [item["contact"]["id"] for item in found] == [
        ids[1],
        ids[3],
        ids[0],
        ids[2],
    ]


def test_from_defaults_to_today_in_utc_and_days_to_30(gql: GraphQL, token: str) -> None:
    today = datetime.now(UTC).date()
    # 1984 is a leap year: every day of the year has a birthday in it.
    for name, offset in [("Today", 0), ("Day 29", 29), ("Day 30", 30)]:
        add(
            gql, token, name, (today + timedelta(offset)).replace(year=1984).isoformat()
        )

    found = upcoming(gql, token)

    if datetime.now(UTC).date() == today:  # not across midnight
        assert [(name, days) for name, _, days, _ in found] == [
            ("Today", 0),
            ("Day 29", 29),
        ]


def test_only_the_viewers_live_contacts(gql: GraphQL, accounts: Accounts) -> None:
    mine, theirs = accounts.token(), accounts.token()
    kept = add(gql, mine, "Mine", "1980-07-01")
    gone = add(gql, mine, "Deleted", "1980-07-01")
    add(gql, theirs, "Theirs", "1980-07-01")
    assert delete(gql, mine, gone)["userErrors"] == []

    found = gql.data(UPCOMING, {"from": "2026-07-01"}, mine)["upcomingBirthdays"]

    assert [item["contact"]["id"] for item in found] == [kept]


def test_a_changed_or_cleared_birthday_moves_the_contact(
    gql: GraphQL, token: str
) -> None:
    contact_id = add(gql, token, "Ada", "1815-12-10")

    update_contact(gql, token, {"id": contact_id, "birthday": "1815-08-01"})
    assert upcoming(gql, token, **{"from": "2026-07-20"}) == [
        ("Ada", "2026-08-01", 12, 211)
    ]
    update_contact(gql, token, {"id": contact_id, "birthday": None})
    assert upcoming(gql, token, days=366, **{"from": "2026-07-20"}) == []


def test_the_contact_reads_its_lists(gql: GraphQL, token: str) -> None:
    create_contact(
        gql,
        token,
        {
            "firstName": "Ada",
            "birthday": "1815-12-10",
            "emails": [{"value": "ada@example.com"}, {"value": "ada@home.example"}],
            "tags": ["Friends", "Math"],
        },
    )
    create_contact(gql, token, {"firstName": "Bo", "birthday": "1990-12-11"})

    found = gql.data(WITH_LISTS, {"from": "2026-12-05"}, token)["upcomingBirthdays"]

    assert found == [
        {
            "contact": {
                "displayName": "Ada",
                "emails": [{"value": "ada@example.com"}, {"value": "ada@home.example"}],
                "tags": [{"name": "Friends"}, {"name": "Math"}],
            },
            "date": "2026-12-10",
        },
        {
            "contact": {"displayName": "Bo", "emails": [], "tags": []},
            "date": "2026-12-11",
        },
    ]


def test_first_keeps_the_soonest(gql: GraphQL, token: str) -> None:
    for day in (3, 1, 2):
        add(gql, token, f"Day {day}", f"1980-04-0{day}")

    found = upcoming(gql, token, first=2, **{"from": "2026-04-01"})

    assert [name for name, *_ in found] == ["Day 1", "Day 2"]
    assert upcoming(gql, token, first=0, **{"from": "2026-04-01"}) == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"days": 0}, "`days` must be between 1 and 366."),
        ({"days": -1}, "`days` must be between 1 and 366."),
        ({"days": 367}, "`days` must be between 1 and 366."),
        ({"first": 1001}, "`first` must be between 0 and 1000."),
        ({"first": -1}, "`first` must be between 0 and 1000."),
        (
            {"from": "9999-12-20", "days": 30},
            "`from` is too late: the window ends after 9999.",
        ),
    ],
)
def test_arguments_out_of_range_are_bad_user_input(
    gql: GraphQL, token: str, variables: dict[str, Any], message: str
) -> None:
    body = gql(UPCOMING, variables, token)

    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]


def test_the_last_days_of_9999_are_a_window(gql: GraphQL, token: str) -> None:
    add(gql, token, "Eve", "1999-12-31")

    assert upcoming(gql, token, days=2, **{"from": "9999-12-30"}) == [
        ("Eve", "9999-12-31", 1, 8000)
    ]


def test_without_a_token_is_unauthenticated(gql: GraphQL) -> None:
    assert gql.error_codes(UPCOMING, {}) == ["UNAUTHENTICATED"]


def test_the_query_cost_counts_the_cap_unless_first_is_smaller(
    gql: GraphQL, token: str
) -> None:
    lists = "contact { emails { value } phones { value } } date"
    capped = f"{{ upcomingBirthdays {{ {lists} }} }}"
    smaller = f"{{ upcomingBirthdays(first: 100) {{ {lists} }} }}"

    body = gql(capped, None, token)
    assert [e["message"] for e in body["errors"]] == [
        "The query may return 101000 nodes; the limit is 50000. "
        "Ask for smaller pages (first/last)."
    ]
    assert gql.data(smaller, None, token) == {"upcomingBirthdays": []}
