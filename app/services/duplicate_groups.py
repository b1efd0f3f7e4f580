"""The groups of duplicates, kept in the database (`duplicate_members`) by
every write, in the write's own transaction, so that no read has to find
them.

A group is the contacts that a shared email, a shared phone or the same
name with nothing contradicting it link, directly or through others (the
connected components: A and B share an email, B and C a phone, so A, B and
C are one group), by app/services/matching.py's rules. Each of its live
contacts has a row naming the group by its lowest contact id, with the
kinds of link found in it.

How the rows stay true: the change log notes, in each transaction, the
contacts whose entries may have changed how they match
(`change_log.rematched`: all but edits of fields matching does not read).
Before the transaction commits (`regroup_rematched`, a session hook that
`keep_groups` installs), those contacts, the members of their stored
groups and, step by step, every live contact sharing an email, phone or
name key with one of them (a few indexed look-ups per step,
app/services/duplicate_keys.py) are linked anew and their rows replaced;
the other groups stand, since none of their contacts changed or shares a
key with one that did. When the contacts to link anew pass REGROUP_MAX (a
large import), every group of the user is found anew from all the user's
contacts (`find_anew`), as for an account in the backlog (migration 0011),
for the demo data, which `flask seed` writes without the change log, and
at the end of `flask import-contacts`, whose transactions put the account
in the backlog instead of regrouping (`defer`).
Writers take the user's turn (`contacts.take_turns`) before any of this,
so two transactions never regroup one user's contacts at once.
`tests/services/test_duplicate_groups.py` checks, over random changes,
that the stored groups are exactly those found anew.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import Connection, Table, delete, event, exists, insert, select
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from app.models import DuplicateBacklog, DuplicateMember
from app.services import change_log
from app.services.duplicate_keys import (
    Person,
    chunks,
    email_owners,
    everyone,
    people_named,
    people_with_ids,
    phone_owners,
)
from app.services.matching import Reason, contradicts

# Contacts a write links anew at most, before it finds every group anew.
REGROUP_MAX = 2000
# How a group's reasons are stored in one column.
REASON_SEPARATOR = ","

MEMBERS: Table = DuplicateMember.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Group:
    """Contacts that look like one person: their ids, ascending, and each
    kind of link found among them, strongest first."""

    contact_ids: tuple[int, ...]
    reasons: tuple[Reason, ...]


def keep_groups(session: scoped_session[Any]) -> None:
    """Regroup before every commit of `session`'s sessions what their
    transaction may have changed; once, however many apps are made."""
    for name, listener in (
        ("before_commit", regroup_rematched),
        ("after_transaction_end", _forget_rematched),
    ):
        if not event.contains(session, name, listener):
            event.listen(session, name, listener)


def regroup_rematched(session: Session) -> None:
    """Regroup each user's contacts that the transaction's change-log
    entries may have changed (`change_log.rematched`), on its connection,
    after its last flush."""
    rematched = change_log.rematched(session)
    if not rematched:
        return
    session.flush()
    connection = session.connection()
    for user_id, touched in sorted(rematched.items()):
        regroup(connection, user_id, touched)
    change_log.forget_rematched(session)


def _forget_rematched(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        change_log.forget_rematched(session)


def regroup(connection: Connection, user_id: int, touched: Iterable[int]) -> None:
    """The user's stored groups after the contacts `touched` changed: see
    the module's docstring."""
    if in_backlog(connection, user_id):
        find_anew(connection, user_id)
        return
    found = _region(connection, user_id, set(touched))
    if found is None:
        find_anew(connection, user_id)
        return
    region, people = found
    _forget_members(connection, user_id, region)
    _store(connection, user_id, link(people).groups())


def find_anew(connection: Connection, user_id: int) -> None:
    """Every group of the user found from all the user's live contacts,
    stored in place of the old, and the user out of the backlog."""
    connection.execute(delete(MEMBERS).where(MEMBERS.c.user_id == user_id))
    _store(connection, user_id, link(everyone(connection, user_id)).groups())
    connection.execute(
        delete(DuplicateBacklog).where(DuplicateBacklog.user_id == user_id)
    )


def stored_groups(connection: Connection, user_id: int) -> list[Group]:
    """Every stored group of the user, by lowest contact id."""
    rows = connection.execute(
        select(MEMBERS.c.group_id, MEMBERS.c.contact_id, MEMBERS.c.reasons)
        .where(MEMBERS.c.user_id == user_id)
        .order_by(MEMBERS.c.group_id, MEMBERS.c.contact_id)
    ).all()
    return groups_of(rows)


def groups_of(rows: Sequence[Any]) -> list[Group]:
    """Groups from member rows (group id, contact id, reasons) in the order
    of group and contact."""
    members: dict[int, list[int]] = {}
    reasons: dict[int, str] = {}
    for group_id, contact_id, stored in rows:
        members.setdefault(group_id, []).append(contact_id)
        reasons[group_id] = stored
    return [
        Group(tuple(ids), _decode_reasons(reasons[group_id]))
        for group_id, ids in members.items()
    ]


def link(people: Mapping[int, Person]) -> Links:
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
    by_name: defaultdict[str, list[tuple[int, Any]]] = defaultdict(list)
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


def _region(
    connection: Connection, user_id: int, touched: set[int]
) -> tuple[set[int], dict[int, Person]] | None:
    """The contacts to link anew after `touched` changed, and the live ones
    among them with their name keys and facts: the touched, the members of
    their stored groups and, repeatedly, every live contact sharing a key
    (email, phone, name, contradicted or not) with one in the region. None
    when it grows past REGROUP_MAX contacts."""
    people: dict[int, Person] = {}
    region: set[int] = set()
    frontier = touched
    while frontier:
        frontier |= _groupmates(connection, user_id, frontier)
        frontier -= region
        region |= frontier
        if len(region) > REGROUP_MAX:
            return None
        people.update(people_with_ids(connection, user_id, frontier - people.keys()))
        stepped = [
            people[contact_id] for contact_id in frontier if contact_id in people
        ]
        frontier = _neighbours(connection, user_id, stepped, people) - region
    return region, {
        contact_id: people[contact_id] for contact_id in region & people.keys()
    }


def _neighbours(
    connection: Connection,
    user_id: int,
    listed: list[Person],
    people: dict[int, Person],
) -> set[int]:
    """The user's live contacts sharing an email, phone or name key with
    one of `listed`. The look-up by name reads its contacts' facts too:
    they go into `people`, so that the next step does not read them again."""
    found: set[int] = set()
    for owners in (
        email_owners(connection, user_id, {k for _, f in listed for k in f.emails}),
        phone_owners(connection, user_id, {k for _, f in listed for k in f.phones}),
    ):
        for ids in owners.values():
            found.update(ids)
    names = {name for name, _ in listed if name is not None}
    for name, named in people_named(connection, user_id, names).items():
        for contact_id, known in named:
            people.setdefault(contact_id, (name, known))
            found.add(contact_id)
    return found


def _groupmates(connection: Connection, user_id: int, ids: set[int]) -> set[int]:
    """The contacts stored in the same group as one of `ids`."""
    mates: set[int] = set()
    for chunk in chunks(sorted(ids)):
        groups = select(MEMBERS.c.group_id).where(MEMBERS.c.contact_id.in_(chunk))
        mates.update(
            connection.execute(
                select(MEMBERS.c.contact_id).where(
                    MEMBERS.c.user_id == user_id, MEMBERS.c.group_id.in_(groups)
                )
            ).scalars()
        )
    return mates


def _forget_members(connection: Connection, user_id: int, ids: Iterable[int]) -> None:
    for chunk in chunks(sorted(ids)):
        connection.execute(
            delete(MEMBERS).where(
                MEMBERS.c.user_id == user_id, MEMBERS.c.contact_id.in_(chunk)
            )
        )


def _store(connection: Connection, user_id: int, groups: list[Group]) -> None:
    rows = [
        {
            "contact_id": contact_id,
            "user_id": user_id,
            "group_id": group.contact_ids[0],
            "reasons": REASON_SEPARATOR.join(reason.value for reason in group.reasons),
        }
        for group in groups
        for contact_id in group.contact_ids
    ]
    if rows:
        connection.execute(insert(MEMBERS), rows)


def _decode_reasons(stored: str) -> tuple[Reason, ...]:
    return tuple(Reason(value) for value in stored.split(REASON_SEPARATOR))


def defer(session: Session, user_id: int) -> None:
    """Leave the user's groups to be found anew later, by `find_anew` or
    by the first read or write after this transaction: what a long import
    does at each of its transactions, which would otherwise each relink a
    region that the demo data's shared names make most of the account.
    The account goes into the backlog (if not there yet) and its contacts
    noted in this transaction are not regrouped at its commit."""
    change_log.rematched(session).pop(user_id, None)
    connection = session.connection()
    if not in_backlog(connection, user_id):
        connection.execute(insert(DuplicateBacklog).values(user_id=user_id))


def in_backlog(connection: Connection, user_id: int) -> bool:
    """Whether the user's groups were never found (migration 0011)."""
    return bool(
        connection.execute(
            select(exists().where(DuplicateBacklog.user_id == user_id))
        ).scalar()
    )
