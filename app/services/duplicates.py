"""Contacts that look like one person, by app.services.matching's rules:
found by key (email, phone, name), never by comparing contacts pair by
pair beyond those of one name, and never merged here.

`list_duplicates(user_id, first, after)`: a page of the groups of the
user's live contacts (the trash is invisible) that a shared email, a shared
phone or the same name with nothing contradicting it link, directly or
through others (the connected components: A and B share an email, B and C
a phone, so A, B and C are one group). Groups come in the order of their
lowest contact id, the contacts of a group by id; the cursor is the
group's lowest id, opaque. One more statement reads the page's contacts
with the lists asked for (app/services/contact_rows.py, as the listing
reads them).

Each worker keeps a user's groups with the user's change-log mark (every
write adds an entry), so the groups are found from scratch only the first
time: three plain reads of every live contact, email key and phone key,
linked in Python (`_find_groups`). After that, a request reads the mark;
when it has moved, the new entries name the contacts that changed
(`_touched_since`: an edit of favorite, notes, tags or addresses changes
no group), and only those contacts, their old groups and, step by step,
every contact sharing a key with them are linked anew (`_regroup`: a few
indexed look-ups per step, by `contact_emails.value_key`,
`contact_phones.value` and `ix_contacts_user_name_key`: migration 0008);
the other groups stand. After more than CHANGES_READ entries, or when the
contacts to link anew pass REGROUP_MAX, every group is found from scratch.
`tests/services/test_duplicates.py` checks, over random changes, that the
kept and regrouped groups are exactly those found from scratch.

`match_existing(user_id, candidates)` is the import's check: for each of
many contacts about to be created (`contacts.clean`'s output: CleanEmail,
CleanPhone, names, company, birthday…), the user's live contact it
duplicates, as a `Match(contact_id, reason)`, or None. An email match wins
over a phone match, which wins over a name match; among several contacts
the lowest id. A name match needs nothing contradicting it between the
candidate and the contact (`matching.contradicts`). All candidates' keys
are looked up together: one statement per kind of key (per KEYS_PER_LOOKUP
keys), however many candidates. It matches against stored contacts only;
two candidates that duplicate each other are the caller's to see (the
same keys, `matching`).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, bindparam, func, select

from app.db.reads import read_connection
from app.errors import BadUserInput
from app.fields import BY_NAME, NAME_FIELDS
from app.models import Contact, ContactChange, EmailAddress, PhoneNumber
from app.services import opaque
from app.services.change_log import DELETED_AT, ChangeKind, decode_changes
from app.services.contact_queries import DEFAULT_PAGE_SIZE, page_size
from app.services.contact_rows import (
    ALL_FIELDS,
    ContactRecord,
    contacts_table,
    page_columns,
    with_relations,
)
from app.services.contacts import MAX_ID
from app.services.matching import (
    Facts,
    Reason,
    contradicts,
    email_key,
    facts,
    name_key,
    phone_key,
    text_key,
)
from graphql_fastpath.lru import LruCache

CURSOR_KIND = "duplicates"
# Each worker keeps the groups of its CACHE_SIZE most recent users, in the
# app's extensions (one app, one cache), until the user's change log moves.
CACHE = "duplicate_groups"
CACHE_SIZE = 64
# The change-log entries that may leave a user's groups as they were: edits
# (of a live contact, or of a tag on it) whose changed fields are none of
# MATCHED_KEYS. More than CHANGES_READ entries since the groups were found
# are not read: the groups are found anew.
EDITS = frozenset(
    kind.value
    for kind in (ChangeKind.UPDATED, ChangeKind.TAG_RENAMED, ChangeKind.TAG_DELETED)
)
MATCHED_KEYS = frozenset(
    {
        *(BY_NAME[name].api_name for name in (*NAME_FIELDS, "birthday", "company")),
        "emails",
        "phones",
        DELETED_AT,
    }
)
CHANGES_READ = 100
# Contacts `_regroup` links anew at most, before it finds every group anew.
REGROUP_MAX = 2000
# Keys a lookup of `match_existing` binds at most (a file of 100,000
# contacts would pass the databases' limits on bound parameters).
KEYS_PER_LOOKUP = 5000
# How a contact's keys travel in one aggregated column (`match_existing`):
# no email key or E.164 number holds a line break.
KEY_SEPARATOR = "\n"


@dataclass(frozen=True)
class Group:
    """Contacts that look like one person: their ids, ascending, and each
    kind of link found among them, strongest first."""

    contact_ids: tuple[int, ...]
    reasons: tuple[Reason, ...]


@dataclass
class DuplicatePage:
    """A page of groups, with their contacts as records (by id)."""

    groups: list[Group]
    contacts: dict[int, ContactRecord]
    cursors: list[str]  # each group's, in page order
    has_next_page: bool
    has_previous_page: bool


@dataclass(frozen=True)
class Match:
    """An existing contact a candidate duplicates, and the strongest reason."""

    contact_id: int
    reason: Reason


def list_duplicates(
    user_id: int,
    first: int | None,
    after: str | None,
    fields: frozenset[str] = ALL_FIELDS,
    shown: int = DEFAULT_PAGE_SIZE,
) -> DuplicatePage:
    """A page of the user's groups of duplicates after the cursor `after`,
    with the first `shown` contacts of each group reading the record
    `fields`."""
    size = first_or_default(first)
    after_id = _decode_cursor(after) if after is not None else 0
    groups = find_groups(user_id)
    later = groups[bisect_right(groups, after_id, key=_lowest_id) :]
    page = list(later[:size])
    cursors = [_encode_cursor(group) for group in page]
    ids = [contact_id for group in page for contact_id in group.contact_ids[:shown]]
    return DuplicatePage(
        groups=page,
        contacts=_records(user_id, ids, fields),
        cursors=cursors,
        has_next_page=len(later) > size,
        has_previous_page=after is not None,
    )


def first_or_default(first: int | None) -> int:
    """A page's size, of groups or of a group's contacts: `first`, from 0
    to MAX_PAGE_SIZE (else BadUserInput), DEFAULT_PAGE_SIZE without it."""
    size = page_size("first", first)
    return DEFAULT_PAGE_SIZE if size is None else size


def _lowest_id(group: Group) -> int:
    return group.contact_ids[0]


def find_groups(user_id: int) -> Sequence[Group]:
    """Every group of the user's live contacts that look like one person,
    by lowest contact id. This worker keeps the groups it found with the
    user's change-log mark (`_change_mark`); when the log has moved, the
    contacts its new entries may have changed (`_touched_since`) are
    regrouped with their neighbours (`_regroup`) and the other groups kept.
    Found anew the first time, and after more than CHANGES_READ entries or
    when the contacts to regroup are more than REGROUP_MAX."""
    mark = _change_mark(user_id)
    cache: LruCache[int, tuple[int | None, tuple[Group, ...]]] = (
        current_app.extensions.setdefault(CACHE, LruCache(CACHE_SIZE))
    )
    cached = cache.get(user_id)
    if cached is not None and cached[0] == mark:
        return cached[1]
    groups = None
    if cached is not None:
        touched = _touched_since(user_id, cached[0], mark)
        if touched is not None:
            groups = _regroup(user_id, cached[1], touched) if touched else cached[1]
    if groups is None:
        groups = tuple(_find_groups(user_id))
    cache.put(user_id, (mark, groups))
    return groups


def _change_mark(user_id: int) -> int | None:
    """The user's newest change-log entry: every write to a contact adds
    one (app/services/change_log.py), and a user's entries are numbered
    in commit order. Read before the contacts, so groups kept under a
    mark were found in data at least that new."""
    return (
        read_connection()
        .execute(
            select(func.max(ContactChange.id)).where(
                ContactChange.user_id == bindparam("user_id")
            ),
            {"user_id": user_id},
        )
        .scalar()
    )


def _touched_since(
    user_id: int, since: int | None, upto: int | None
) -> set[int] | None:
    """The contacts whose change-log entries after `since` up to `upto` may
    have changed the groups: all but those of edits of nothing that matches
    (`_leaves_groups`). None when there are more than CHANGES_READ entries."""
    rows = _rows(_changes_between(), user_id, since=since or 0, upto=upto or 0)
    if len(rows) > CHANGES_READ:
        return None
    return {row.contact_id for row in rows if not _leaves_groups(row.kind, row.changes)}


def _leaves_groups(kind: str, changes: str) -> bool:
    """Whether a change-log entry is an edit (UPDATED, TAG_RENAMED,
    TAG_DELETED) of nothing that finds duplicates (MATCHED_KEYS): favorite,
    notes, tags, addresses… A contact created, trashed, restored, merged or
    reverted, or a name, company, birthday, email or phone edited, may
    change the groups."""
    return kind in EDITS and MATCHED_KEYS.isdisjoint(
        change.field for change in decode_changes(changes)
    )


def _changes_between() -> Select[Any]:
    """The contact, kind and changed fields of the user's change-log
    entries after :since up to :upto, one more than CHANGES_READ at most."""
    columns: list[Any] = [
        ContactChange.contact_id,
        ContactChange.kind,
        ContactChange.changes,
    ]
    return (
        select(*columns)
        .where(
            ContactChange.user_id == bindparam("user_id"),
            ContactChange.id > bindparam("since"),
            ContactChange.id <= bindparam("upto"),
        )
        .limit(CHANGES_READ + 1)
    )


def _regroup(
    user_id: int, groups: tuple[Group, ...], touched: set[int]
) -> tuple[Group, ...] | None:
    """`groups` after the contacts `touched` changed: the region of the
    touched contacts, the members of their old groups and, repeatedly, every
    live contact sharing a key (email, phone, name) with one in the region,
    is linked anew; the groups outside it stand, since none of their
    contacts changed or shares a key with one that did. A few indexed
    reads per step outward. None when the region grows past REGROUP_MAX
    contacts (the caller finds every group anew)."""
    group_of = {
        contact_id: group for group in groups for contact_id in group.contact_ids
    }
    people: dict[int, tuple[str | None, Facts]] = {}
    region: set[int] = set()
    frontier = set(touched)
    while frontier:
        for contact_id in list(frontier):
            if contact_id in group_of:
                frontier.update(group_of[contact_id].contact_ids)
        frontier -= region
        region |= frontier
        if len(region) > REGROUP_MAX:
            return None
        people.update(_people(user_id, frontier - people.keys()))
        stepped = [
            people[contact_id] for contact_id in frontier if contact_id in people
        ]
        frontier = _neighbours(user_id, stepped, people) - region
    new_groups = _link(people).groups()
    kept = [group for group in groups if region.isdisjoint(group.contact_ids)]
    return tuple(sorted(kept + new_groups, key=_lowest_id))


def _people(user_id: int, ids: Iterable[int]) -> dict[int, tuple[str | None, Facts]]:
    """The name key and facts of the user's live contacts among `ids`."""
    people = {}
    for chunk in _chunks(sorted(ids)):
        for row in _rows(_with_ids(), user_id, keys=chunk):
            people[row.id] = (row.name_key, _facts_of(row))
    return people


def _neighbours(
    user_id: int,
    listed: list[tuple[str | None, Facts]],
    people: dict[int, tuple[str | None, Facts]],
) -> set[int]:
    """The user's live contacts sharing an email, phone or name key with
    one of `listed` (a shared name, contradicted or not). The look-up by
    name reads its contacts' facts too: they go into `people`, so that the
    next step does not read them again."""
    found: set[int] = set()
    for lookup, keys in (
        (
            _owner_of(EmailAddress, EmailAddress.value_key),
            {key for _, known in listed for key in known.emails},
        ),
        (
            _owner_of(PhoneNumber, PhoneNumber.value),
            {key for _, known in listed for key in known.phones},
        ),
    ):
        for owners in _owners(user_id, lookup, keys).values():
            found.update(owners)
    names = {name for name, _ in listed if name is not None}
    for name, named in _people_named(user_id, names).items():
        for contact_id, known in named:
            people.setdefault(contact_id, (name, known))
            found.add(contact_id)
    return found


def _find_groups(user_id: int) -> list[Group]:
    """Every group, from three plain reads of the user's live contacts
    (names and facts, email keys, phone keys) joined here: no sort or
    aggregate in the database."""
    emails = _keys_by_contact(_live_keys(EmailAddress, EmailAddress.value_key), user_id)
    phones = _keys_by_contact(_live_keys(PhoneNumber, PhoneNumber.value), user_id)
    empty: frozenset[str] = frozenset()
    people = {
        row.id: (
            row.name_key,
            Facts(
                row.birthday,
                _company_key(row.company),
                emails.get(row.id, empty),
                phones.get(row.id, empty),
            ),
        )
        for row in _rows(_live_people(), user_id)
    }
    return _link(people).groups()


def _keys_by_contact(statement: Select[Any], user_id: int) -> dict[int, frozenset[str]]:
    held: defaultdict[int, set[str]] = defaultdict(set)
    for contact_id, key in _rows(statement, user_id):
        held[contact_id].add(key)
    return {contact_id: frozenset(keys) for contact_id, keys in held.items()}


def _link(people: Mapping[int, tuple[str | None, Facts]]) -> Links:
    """`people` (name key and facts by contact id) linked: by each email
    and phone key two or more of them hold, and by each name key two or
    more hold where nothing contradicts it."""
    links = Links()
    for reason, kind in ((Reason.SAME_EMAIL, "emails"), (Reason.SAME_PHONE, "phones")):
        owners: defaultdict[str, list[int]] = defaultdict(list)
        for contact_id, (_, known) in people.items():
            for key in getattr(known, kind):
                owners[key].append(contact_id)
        for ids in owners.values():
            links.join(sorted(ids), reason)
    by_name: defaultdict[str, list[tuple[int, Facts]]] = defaultdict(list)
    for contact_id, (name, known) in people.items():
        if name is not None:
            by_name[name].append((contact_id, known))
    for named in by_name.values():
        for (a, facts_a), (b, facts_b) in combinations(named, 2):
            if not contradicts(facts_a, facts_b):
                links.join((a, b), Reason.SAME_NAME)
    return links


class Links:
    """Contacts joined into groups (union-find), with the reasons that
    joined each group."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.reasons: defaultdict[int, set[Reason]] = defaultdict(set)

    def root(self, contact_id: int) -> int:
        parent = self.parent.setdefault(contact_id, contact_id)
        if parent != contact_id:
            parent = self.parent[contact_id] = self.root(parent)
        return parent

    def join(self, contact_ids: Sequence[int], reason: Reason) -> None:
        """One link of `reason` among `contact_ids`; none for fewer than two."""
        if len(contact_ids) < 2:
            return
        first = self.root(contact_ids[0])
        for other in contact_ids[1:]:
            root = self.root(other)
            if root != first:
                self.parent[root] = first
                self.reasons[first] |= self.reasons.pop(root, set())
        self.reasons[first].add(reason)

    def groups(self) -> list[Group]:
        members: defaultdict[int, list[int]] = defaultdict(list)
        for contact_id in sorted(self.parent):
            members[self.root(contact_id)].append(contact_id)
        return [
            Group(
                tuple(ids),
                tuple(r for r in Reason if r in self.reasons[root]),
            )
            for root, ids in sorted(members.items(), key=lambda item: item[1][0])
        ]


def match_existing(
    user_id: int, candidates: Sequence[Mapping[str, Any]]
) -> list[Match | None]:
    """For each candidate (cleaned create input), the user's live contact
    it duplicates and why, or None; see the module's docstring."""
    found: list[dict[int, Reason]] = [{} for _ in candidates]
    for reason, keys_of, lookup in (
        (
            Reason.SAME_EMAIL,
            _email_keys,
            _owner_of(EmailAddress, EmailAddress.value_key),
        ),
        (Reason.SAME_PHONE, _phone_keys, _owner_of(PhoneNumber, PhoneNumber.value)),
    ):
        wanted = [keys_of(candidate) for candidate in candidates]
        owners = _owners(user_id, lookup, {key for keys in wanted for key in keys})
        for index, keys in enumerate(wanted):
            for key in keys:
                for contact_id in owners.get(key, ()):
                    found[index].setdefault(contact_id, reason)
    names = [name_key(candidate) for candidate in candidates]
    people = _people_named(user_id, {name for name in names if name is not None})
    for index, (candidate, name) in enumerate(zip(candidates, names, strict=True)):
        mine = _candidate_facts(candidate)
        for contact_id, theirs in people.get(name or "", ()):
            if not contradicts(mine, theirs):
                found[index].setdefault(contact_id, Reason.SAME_NAME)
    return [_strongest(matches) for matches in found]


def _strongest(matches: dict[int, Reason]) -> Match | None:
    if not matches:
        return None
    order = list(Reason)
    contact_id = min(matches, key=lambda c: (order.index(matches[c]), c))
    return Match(contact_id, matches[contact_id])


def _email_keys(candidate: Mapping[str, Any]) -> set[str]:
    return {email_key(email.value) for email in candidate.get("emails") or ()}


def _phone_keys(candidate: Mapping[str, Any]) -> set[str]:
    return {phone_key(phone.value) for phone in candidate.get("phones") or ()}


def _candidate_facts(candidate: Mapping[str, Any]) -> Facts:
    return facts(
        candidate,
        [email.value for email in candidate.get("emails") or ()],
        [phone.value for phone in candidate.get("phones") or ()],
    )


def _owners(user_id: int, lookup: Select[Any], keys: set[str]) -> dict[str, list[int]]:
    """The user's live contacts holding each of `keys`, by key."""
    owners: defaultdict[str, list[int]] = defaultdict(list)
    for chunk in _chunks(sorted(keys)):
        for key, contact_id in _rows(lookup, user_id, keys=chunk):
            owners[key].append(contact_id)
    return owners


def _people_named(user_id: int, names: set[str]) -> dict[str, list[tuple[int, Facts]]]:
    """The user's live contacts of each name key among `names`, with their
    facts, by name key."""
    people: defaultdict[str, list[tuple[int, Facts]]] = defaultdict(list)
    for chunk in _chunks(sorted(names)):
        for row in _rows(_named(), user_id, keys=chunk):
            people[row.name_key].append((row.id, _facts_of(row)))
    return people


def _chunks(keys: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(keys), KEYS_PER_LOOKUP):
        yield keys[start : start + KEYS_PER_LOOKUP]


# The statements. Every one reads one user's live contacts, bound as
# :user_id, as the listing's do (`deleted_at IS NULL`, which the partial
# indexes say).


def _live() -> list[ColumnElement[bool]]:
    return [Contact.user_id == bindparam("user_id"), Contact.deleted_at.is_(None)]


def _live_keys(model: type[EmailAddress | PhoneNumber], key: Any) -> Select[Any]:
    """(contact id, `key`) of each item of the list `model` that the user's
    live contacts hold."""
    columns: list[Any] = [model.contact_id, key]
    return (
        select(*columns).join(Contact, Contact.id == model.contact_id).where(*_live())
    )


def _live_people() -> Select[Any]:
    """The user's live contacts: id, name key, and the birthday and
    company, which may contradict a match by name."""
    return select(*_person_columns()).where(*_live())


def _person_columns() -> list[Any]:
    """What a match by name reads of a contact: id, name key, and the
    birthday and company, which may contradict it."""
    return [
        Contact.id,
        Contact.name_key,
        contacts_table.c.birthday,
        contacts_table.c.company,
    ]


def _with_ids() -> Select[Any]:
    """The user's live contacts whose id is one of :keys, with facts."""
    return _with_facts(Contact.id.in_(bindparam("keys", expanding=True)))


def _named() -> Select[Any]:
    """The user's live contacts whose name key is one of :keys."""
    return _with_facts(Contact.name_key.in_(bindparam("keys", expanding=True)))


def _with_facts(condition: ColumnElement[bool]) -> Select[Any]:
    """The user's live contacts meeting `condition`: id, name key, birthday,
    company, and their email and phone keys aggregated."""
    columns: list[Any] = [
        *_person_columns(),
        _keys_of(EmailAddress.value_key, EmailAddress.contact_id).label("emails"),
        _keys_of(PhoneNumber.value, PhoneNumber.contact_id).label("phones"),
    ]
    return select(*columns).where(*_live(), condition)


def _keys_of(key: Any, contact_id: Any) -> Any:
    return (
        select(func.aggregate_strings(key, KEY_SEPARATOR))
        .where(contact_id == Contact.id)
        .correlate(Contact)
        .scalar_subquery()
    )


def _owner_of(model: type[EmailAddress | PhoneNumber], key: Any) -> Select[Any]:
    """(key, contact id) of the user's live contacts holding one of :keys
    in `key` (a column of the list `model`)."""
    return (
        select(key, model.contact_id)
        .join(Contact, Contact.id == model.contact_id)
        .where(*_live(), key.in_(bindparam("keys", expanding=True)))
        .distinct()
    )


def _rows(statement: Select[Any], user_id: int, **values: Any) -> list[Any]:
    return list(
        read_connection().execute(statement, {"user_id": user_id, **values}).all()
    )


def _facts_of(row: Any) -> Facts:
    return Facts(
        birthday=row.birthday,
        company=_company_key(row.company),
        emails=frozenset(_split(row.emails)),
        phones=frozenset(_split(row.phones)),
    )


# An address book names few companies many times over.
_company_key = lru_cache(maxsize=4096)(text_key)


def _split(keys: str | None) -> Iterable[str]:
    return keys.split(KEY_SEPARATOR) if keys else ()


def _records(
    user_id: int, ids: list[int], fields: frozenset[str]
) -> dict[int, ContactRecord]:
    """The records of the user's live contacts `ids`, with the lists among
    `fields`: one statement (PostgreSQL), or one and one per list."""
    if not ids:
        return {}
    connection = read_connection()
    query = select(Contact.id).where(
        Contact.id.in_(ids), Contact.user_id == user_id, Contact.deleted_at.is_(None)
    )
    statement = page_columns(query, fields, "id", connection.dialect)
    rows = connection.execute(statement).all()
    columns = list(statement.selected_columns.keys())
    records = with_relations(rows, columns, fields, connection.dialect)
    return {record.id: record for record in records}


def _encode_cursor(group: Group) -> str:
    return opaque.encode(json.dumps([CURSOR_KIND, group.contact_ids[0]]))


def _decode_cursor(encoded: str) -> int:
    """The lowest contact id of the group the cursor `encoded` ends at."""
    try:
        kind, contact_id = json.loads(opaque.decode(encoded))
    except (ValueError, TypeError, RecursionError):
        raise BadUserInput("`after` is not a valid cursor.") from None
    if kind != CURSOR_KIND or type(contact_id) is not int:
        raise BadUserInput("`after` is not a valid cursor.")
    if not 0 < contact_id <= MAX_ID:
        raise BadUserInput("`after` is not a valid cursor.")
    return contact_id
