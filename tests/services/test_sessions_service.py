"""An account's logins without HTTP: app.services.sessions, and the parts of
app.services.tokens that record them (user agent, lastUsedAt, renewal)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_jwt_extended import decode_token
from sqlalchemy import select

from app.errors import FieldError, InvalidInput, NotAuthenticated, UserErrorCode
from app.extensions import db
from app.models import AuthSession, RefreshToken, User, utcnow
from app.services import sessions, tokens

NOT_FOUND = FieldError(("id",), "No session with this id.", UserErrorCode.NOT_FOUND)


def new_user(email: str = "ada@example.com") -> User:
    user = User(email=email, email_key=email, password_hash="unused")
    db.session.add(user)
    db.session.flush()
    return user


def sign_in(user: User, user_agent: str | None = None) -> tokens.IssuedTokens:
    issued = tokens.start_session(user, user_agent)
    db.session.commit()
    return issued


def session(issued: tokens.IssuedTokens) -> AuthSession:
    return db.session.get_one(AuthSession, issued.session_id)


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (None, None),
        ("", None),
        (" \t ", None),
        ("curl/8.5.0", "curl/8.5.0"),
        ("  a \t b\n c  ", "a b c"),
        ("nul\x00 and del\x7f and bell\x07", "nul and del and bell"),
        ("zero\u200bwidth", "zerowidth"),
        ("lone \ud800 surrogate", "lone surrogate"),
        ("x" * 254 + " y", "x" * 254),  # cut, then the trailing space goes
        ("é" * 400, "é" * 255),
    ],
)
def test_clean_user_agent(header: str | None, kept: str | None) -> None:
    assert tokens.clean_user_agent(header) == kept


def test_a_sign_in_records_the_user_agent_and_its_time_as_last_used(
    app_context: None,
) -> None:
    before = utcnow()

    issued = sign_in(new_user(), "Firefox\x00/133")

    recorded = session(issued)
    assert recorded.user_agent == "Firefox/133"
    assert recorded.created_at == recorded.last_used_at
    assert before <= recorded.created_at <= utcnow()
    assert issued.session_id == decode_token(issued.access_token)["sid"]


def test_a_rotation_moves_last_used_at(app_context: None) -> None:
    issued = sign_in(new_user())
    signed_in_at = session(issued).last_used_at
    assert signed_in_at is not None

    rotated = tokens.rotate(issued.refresh_token)
    db.session.commit()

    assert rotated.session_id == issued.session_id
    used = session(issued).last_used_at
    assert used is not None
    assert used > signed_in_at


def test_live_sessions_are_the_users_unrevoked_unexpired_logins_newest_first(
    app_context: None,
) -> None:
    ada, grace = new_user(), new_user("grace@example.com")
    first, second, ended, expired = (sign_in(ada, f"#{n}") for n in range(4))
    sign_in(grace)
    session(ended).revoked_at = utcnow()
    session(expired).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    listed = sessions.live_sessions(ada.id)

    assert [(s.id, s.user_agent) for s in listed] == [
        (second.session_id, "#1"),
        (first.session_id, "#0"),
    ]
    assert sessions.live_session(ada.id, first.session_id) == listed[1]
    for gone in (ended, expired):
        assert sessions.live_session(ada.id, gone.session_id) is None
    assert sessions.live_session(grace.id, first.session_id) is None


def test_revoke_ends_one_live_login_of_the_user(app_context: None) -> None:
    ada = new_user()
    kept, ended = sign_in(ada), sign_in(ada)

    assert sessions.revoke(ada.id, ended.session_id) == 1

    assert session(ended).revoked_at is not None
    assert session(kept).revoked_at is None
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(ended.access_token)


@pytest.mark.parametrize(
    "which", ["none", "malformed", "upper-case", "unknown", "other user's", "ended"]
)
def test_revoke_of_anything_but_a_live_login_of_the_user_is_not_found(
    app_context: None, which: str
) -> None:
    ada, grace = new_user(), new_user("grace@example.com")
    adas, graces = sign_in(ada), sign_in(grace)
    sessions.revoke(ada.id, sign_in(ada).session_id)
    ended = sessions.live_sessions(ada.id)
    assert [s.id for s in ended] == [adas.session_id]
    target = {
        "none": None,
        "malformed": "not a uuid",
        "upper-case": adas.session_id.upper(),
        "unknown": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
        "other user's": graces.session_id,
        "ended": db.session.scalar(
            select(AuthSession.id).where(AuthSession.revoked_at.is_not(None))
        ),
    }[which]

    with pytest.raises(InvalidInput) as raised:
        sessions.revoke(ada.id, target)

    assert raised.value.errors == [NOT_FOUND]
    assert session(adas).revoked_at is None
    assert session(graces).revoked_at is None


def test_revoke_others_and_revoke_all(app_context: None) -> None:
    ada, grace = new_user(), new_user("grace@example.com")
    mine, other, another = sign_in(ada), sign_in(ada), sign_in(ada)
    graces = sign_in(grace)

    assert sessions.revoke_others(ada.id, mine.session_id) == 2
    assert sessions.revoke_others(ada.id, mine.session_id) == 0

    assert [s.id for s in sessions.live_sessions(ada.id)] == [mine.session_id]
    for ended in (other, another):
        assert session(ended).revoked_at is not None
    assert session(graces).revoked_at is None
    assert sessions.revoke_all(ada.id) == 1
    db.session.commit()
    assert sessions.live_sessions(ada.id) == []


def test_renew_session_retires_the_logins_refresh_tokens_and_issues_a_pair(
    app_context: None,
) -> None:
    ada = new_user()
    issued = sign_in(ada)
    rotated = tokens.rotate(issued.refresh_token)
    db.session.commit()

    renewed = tokens.renew_session(ada, issued.session_id)
    db.session.commit()

    assert renewed.session_id == issued.session_id
    records = db.session.scalars(
        select(RefreshToken).where(RefreshToken.session_id == issued.session_id)
    ).all()
    new_jti = decode_token(renewed.refresh_token)["jti"]
    assert {r.jti for r in records if r.used_at is None} == {new_jti}
    assert decode_token(rotated.refresh_token)["jti"] in {r.jti for r in records}
    assert tokens.authenticate(renewed.access_token)[1] == issued.session_id


def test_renew_session_refuses_an_ended_or_foreign_login(app_context: None) -> None:
    ada, grace = new_user(), new_user("grace@example.com")
    ended, graces = sign_in(ada), sign_in(grace)
    session(ended).revoked_at = utcnow()
    db.session.commit()

    with pytest.raises(NotAuthenticated, match="revoked"):
        tokens.renew_session(ada, ended.session_id)
    with pytest.raises(NotAuthenticated, match="invalid"):
        tokens.renew_session(ada, graces.session_id)
    with pytest.raises(NotAuthenticated, match="invalid"):
        tokens.renew_session(ada, "6f9619ff-8b86-d011-b42d-00c04fc964ff")


def test_signing_in_beyond_the_most_live_logins_ends_the_oldest(
    app_context: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "MAX_LIVE_SESSIONS", 3)
    ada, grace = new_user(), new_user("grace@example.com")
    graces = [sign_in(grace) for _ in range(3)]
    oldest, ended_early, _ = (sign_in(ada, f"#{n}") for n in range(3))
    session(ended_early).revoked_at = utcnow()  # an ended login takes no room
    db.session.commit()
    newest = [sign_in(ada, f"#{n}") for n in (3, 4)]

    live = [s.user_agent for s in sessions.live_sessions(ada.id)]

    assert live == ["#4", "#3", "#2"]
    assert session(oldest).revoked_at is not None
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(oldest.access_token)
    assert [tokens.authenticate(i.access_token)[1] for i in newest] == [
        i.session_id for i in newest
    ]
    assert len(sessions.live_sessions(grace.id)) == len(graces)
