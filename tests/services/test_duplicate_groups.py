"""app.services.duplicate_groups: the groups of duplicates every write keeps
in `duplicate_members`, checked against the groups found anew from all the
contacts, after random writes of every kind; the backlog of accounts whose
groups were never found; and a write that fails leaving them as they were."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import insert, select

from app.errors import InvalidInput
from app.extensions import db
from app.formats.sniffing import Format
from app.models import DuplicateBacklog, DuplicateMember
from app.services import (
    batches,
    change_log,
    contacts,
    duplicate_groups,
    duplicates,
    history,
    imports,
    merges,
    seed,
    trash,
)
from app.services.contact_input import EmailInput, PhoneInput
from app.services.duplicate_groups import Group, link, stored_groups
from app.services.duplicate_keys import everyone
from app.services.matching import Reason

VALUES: dict[str, list[Any]] = {
    "first_name": ["Ada", "Grace", "Alan", "Barbara", "Edsger", "ada "],
    "last_name": ["Lovelace", "Hopper", "Turing", None],
    "company": [None, "Acme", "Navy"],
    "birthday": [None, date(1815, 12, 10), date(1906, 12, 9)],
    "favorite": [True, False],
    "notes": [None, "Met at the Society."],
}
ADDRESSES = [f"{letter}@example.com" for letter in "abcdefghijkl"]
NUMBERS = [f"+4412345678{digit:02}" for digit in range(12)]
FIELDS = [*VALUES, "emails", "phones"]


def stored(user_id: int) -> list[Group]:
    return stored_groups(db.session.connection(), user_id)


def found_anew(user_id: int) -> list[Group]:
    return link(everyone(db.session.connection(), user_id)).groups()


class Writer:
    """Random writes of every kind among look-alike contacts of one user."""

    def __init__(self, user_id: int, rng: random.Random) -> None:
        self.user_id = user_id
        self.rng = rng
        self.live: list[int] = []
        self.trashed: list[int] = []
        self.merges: list[int] = []

    def some(self, field: str) -> Any:
        rng = self.rng
        if field == "emails":
            return [EmailInput(e) for e in rng.sample(ADDRESSES, rng.randint(0, 1))]
        if field == "phones":
            return [PhoneInput(p) for p in rng.sample(NUMBERS, rng.randint(0, 1))]
        return rng.choice(VALUES[field])

    def fields(self) -> dict[str, Any]:
        return {name: self.some(name) for name in FIELDS}

    def create(self) -> None:
        self.live.append(contacts.create_contact(self.user_id, self.fields()).id)

    def create_many(self) -> None:
        made = batches.create_contacts(self.user_id, [self.fields() for _ in range(3)])
        self.live.extend(contact.id for contact in made)

    def edit(self) -> None:
        field = self.rng.choice(FIELDS)
        contact_id = self.rng.choice(self.live)
        contacts.update_contact(self.user_id, contact_id, {field: self.some(field)})

    def edit_many(self) -> None:
        items = [
            batches.UpdateItem(contact_id, {field: self.some(field)})
            for contact_id in self.rng.sample(self.live, 2)
            for field in [self.rng.choice(FIELDS)]
        ]
        batches.update_contacts(self.user_id, items)

    def delete(self) -> None:
        contact_id = self.live.pop(self.rng.randrange(len(self.live)))
        contacts.delete_contact(self.user_id, contact_id)
        self.trashed.append(contact_id)

    def delete_many(self) -> None:
        ids = [self.live.pop(self.rng.randrange(len(self.live))) for _ in range(2)]
        batches.delete_contacts(self.user_id, ids)
        self.trashed.extend(ids)

    def restore(self) -> None:
        contact_id = self.trashed.pop(self.rng.randrange(len(self.trashed)))
        trash.restore_contact(self.user_id, contact_id)
        self.live.append(contact_id)

    def purge(self) -> None:
        contact_id = self.trashed.pop(self.rng.randrange(len(self.trashed)))
        trash.purge_contact(self.user_id, contact_id)
        self.merges = [m for m in self.merges if merges.get_merge(self.user_id, m)]

    def merge(self) -> None:
        primary, *others = self.rng.sample(self.live, 3)
        try:
            result = merges.merge_contacts(self.user_id, primary, others)
        except InvalidInput:  # the merged values break a rule: nothing changed
            return
        assert result.merge is not None
        self.merges.append(result.merge.id)
        for other in others:
            self.live.remove(other)
        self.trashed.extend(others)

    def undo_merge(self) -> None:
        merge_id = self.merges.pop(self.rng.randrange(len(self.merges)))
        try:
            result = merges.undo_merge(self.user_id, merge_id)
        except InvalidInput:  # the primary changed since, or was trashed
            return
        for other in merges.merged_ids(merges.get_merge(self.user_id, merge_id)):
            if other in self.trashed:
                self.trashed.remove(other)
                self.live.append(other)
        assert result.contact.id in self.live

    def revert(self) -> None:
        contact = contacts.owned_contact(
            self.user_id, self.rng.choice(self.live), ("id",), False
        )
        if contact.version > 1:
            history.revert_contact(self.user_id, contact.id, contact.version - 1)

    def step(self) -> str:
        possible = ["create", "create_many", "edit", "edit", "edit"]
        if len(self.live) > 4:
            possible += ["edit_many", "delete", "delete_many", "merge", "revert"]
        if self.trashed:
            possible += ["restore", "purge"]
        if self.merges:
            possible += ["undo_merge"]
        action = self.rng.choice(possible)
        getattr(self, action)()
        return action


@pytest.mark.parametrize("regroup_max", [duplicate_groups.REGROUP_MAX, 3])
def test_the_stored_groups_equal_the_groups_found_anew_after_every_write(
    user_id: int, monkeypatch: pytest.MonkeyPatch, regroup_max: int
) -> None:
    """Random creates, edits (of what matches and of what does not), trash,
    restores, purges, merges, undone merges and reverts, one by one and in
    batches, among look-alike contacts: after each, the stored groups are
    exactly the groups found anew. With REGROUP_MAX 3 most writes find
    every group anew instead of relinking around the changed contacts."""
    monkeypatch.setattr(duplicate_groups, "REGROUP_MAX", regroup_max)
    writer = Writer(user_id, random.Random(15))
    for _ in range(20):
        writer.create()
    several = 0
    done: set[str] = set()

    for step in range(120):
        action = writer.step()
        done.add(action)
        db.session.rollback()  # a new transaction: what the writes committed

        assert stored(user_id) == found_anew(user_id), (step, action)
        several += len(stored(user_id)) > 1
    # Every kind of write ran, and most steps had groups to keep.
    assert done == {
        "create",
        "create_many",
        "edit",
        "edit_many",
        "delete",
        "delete_many",
        "restore",
        "purge",
        "merge",
        "undo_merge",
        "revert",
    }
    assert several > 60


def test_groups_are_stored_with_their_reasons(user_id: int) -> None:
    ada = {"first_name": "Ada", "last_name": "Lovelace"}
    first = contacts.create_contact(user_id, {**ada, "emails": [EmailInput("a@x.io")]})
    second = contacts.create_contact(
        user_id, {**ada, "phones": [PhoneInput(NUMBERS[0])]}
    )
    third = contacts.create_contact(user_id, {"phones": [PhoneInput(NUMBERS[0])]})
    contacts.create_contact(user_id, {"first_name": "Grace"})

    rows = db.session.execute(
        select(
            DuplicateMember.contact_id,
            DuplicateMember.group_id,
            DuplicateMember.reasons,
        ).order_by(DuplicateMember.contact_id)
    ).all()

    assert [tuple(row) for row in rows] == [
        (first.id, first.id, "SAME_PHONE,SAME_NAME"),
        (second.id, first.id, "SAME_PHONE,SAME_NAME"),
        (third.id, first.id, "SAME_PHONE,SAME_NAME"),
    ]
    assert stored(user_id) == [
        Group((first.id, second.id, third.id), (Reason.SAME_PHONE, Reason.SAME_NAME))
    ]


def test_a_write_that_fails_leaves_the_groups_and_nothing_to_regroup(
    user_id: int,
) -> None:
    ada = {"first_name": "Ada", "last_name": "Lovelace"}
    contacts.create_contact(user_id, ada)
    contacts.create_contact(user_id, ada)
    before = stored(user_id)

    with pytest.raises(InvalidInput):
        batches.create_contacts(user_id, [ada, {"emails": [EmailInput("not mail")]}])

    assert change_log.rematched(db.session()) == {}
    assert stored(user_id) == before


def test_seeded_accounts_have_their_groups(app_context: None) -> None:
    seed.seed(1, 1000, random_seed=1)
    [user_id] = db.session.scalars(select(DuplicateMember.user_id).distinct()).all()

    assert len(stored(user_id)) == 25
    assert stored(user_id) == found_anew(user_id)


def backlogged(user_id: int) -> None:
    """The user's contacts as before migration 0011: no groups stored, the
    account in the backlog."""
    db.session.execute(DuplicateMember.__table__.delete())
    db.session.execute(insert(DuplicateBacklog).values(user_id=user_id))
    db.session.commit()


def test_an_account_in_the_backlog_has_its_groups_found_by_the_first_read(
    user_id: int,
) -> None:
    ada = {"first_name": "Ada", "last_name": "Lovelace"}
    ids = [contacts.create_contact(user_id, ada).id for _ in range(2)]
    backlogged(user_id)

    page = duplicates.list_duplicates(user_id, None, None)

    assert page.groups == [Group(tuple(ids), (Reason.SAME_NAME,))]
    db.session.rollback()
    assert stored(user_id) == page.groups
    assert db.session.scalars(select(DuplicateBacklog.user_id)).all() == []


def test_an_account_in_the_backlog_has_its_groups_found_by_the_first_write(
    user_id: int,
) -> None:
    ada = {"first_name": "Ada", "last_name": "Lovelace"}
    ids = [contacts.create_contact(user_id, ada).id for _ in range(2)]
    backlogged(user_id)

    grace = contacts.create_contact(user_id, {"first_name": "Grace"})

    assert grace.id not in ids
    assert stored(user_id) == [Group(tuple(ids), (Reason.SAME_NAME,))]
    assert db.session.scalars(select(DuplicateBacklog.user_id)).all() == []


def test_a_long_import_finds_the_groups_once_after_its_last_chunk(
    user_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`flask import-contacts` commits a chunk at a time; each leaves the
    account in the backlog instead of regrouping, and the groups are found
    once at the end (a name shared across chunks included)."""
    monkeypatch.setattr(batches, "MAX_ITEMS", 2)
    lines = [
        "First Name,Last Name,E-mail Address\n",
        "Ada,Lovelace,ada@example.com\n",
        "Grace,Hopper,grace@example.com\n",
        "Alan,Turing,alan@example.com\n",
        "Ada,Lovelace,\n",
        "Edsger,Dijkstra,ewd@example.com\n",
    ]
    chunks: list[bool] = []

    def on_chunk(_: Any) -> None:
        chunks.append(duplicate_groups.in_backlog(db.session.connection(), user_id))

    imports.import_stream(
        user_id, imports.read(lines, Format.CSV), imports.ImportOptions(), on_chunk
    )

    assert chunks == [True, True, True]
    [group] = stored(user_id)
    assert len(group.contact_ids) == 2
    assert group.reasons == (Reason.SAME_NAME,)
    assert stored(user_id) == found_anew(user_id)
    assert db.session.scalars(select(DuplicateBacklog.user_id)).all() == []
