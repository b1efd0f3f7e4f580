"""An account's logins: Session, revokeSession, revokeOtherSessions."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.errors import InvalidInput
from app.schema.common import Node, UserError, user_errors
from app.schema.context import Info
from app.schema.ids import to_global_id, uuid_of
from app.services import sessions
from app.services.sessions import SessionRecord


@strawberry.type(
    description=(
        "One login of the account: the tokens that one sign-in (register, "
        "login, a password reset) handed out and that its refresh token "
        "keeps renewing."
    )
)
class Session(Node):
    id: strawberry.ID
    created_at: datetime = strawberry.field(description="When the login signed in.")
    last_used_at: datetime | None = strawberry.field(
        description=(
            "When the login signed in or last traded its refresh token for a "
            "new pair (refreshToken, changePassword). Requests made with its "
            "access token do not move it (reading never writes), so it can "
            "lag by up to an access token's lifetime. Null for logins made "
            "before this was recorded."
        )
    )
    user_agent: str | None = strawberry.field(
        description=(
            "The User-Agent header the login signed in with: control "
            "characters dropped, at most 255 characters; null without one."
        )
    )
    current: bool = strawberry.field(
        description="True for the login whose access token made this request."
    )

    @classmethod
    def from_record(cls, record: SessionRecord, current_id: str | None) -> Session:
        return cls(
            id=strawberry.ID(to_global_id("Session", record.id)),
            created_at=record.created_at,
            last_used_at=record.last_used_at,
            user_agent=record.user_agent,
            current=record.id == current_id,
        )


def sessions_of(user_id: int, current_id: str | None) -> list[Session]:
    """The user's live logins, newest first."""
    return [
        Session.from_record(record, current_id)
        for record in sessions.live_sessions(user_id)
    ]


@strawberry.type
class RevokeSessionsPayload:
    revoked_count: int = strawberry.field(description="How many logins ended.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SessionMutation:
    @strawberry.mutation(
        description=(
            "End one of the viewer's logins (its access and refresh tokens "
            "stop working at once); the viewer's own login too, like logout. "
            "NOT_FOUND for a login that has ended or is not the viewer's."
        )
    )
    def revoke_session(self, info: Info, id: strawberry.ID) -> RevokeSessionsPayload:
        viewer = info.context.require_viewer()
        try:
            count = sessions.revoke(viewer.id, uuid_of(id, "Session"))
        except InvalidInput as error:
            return RevokeSessionsPayload(
                revoked_count=0, user_errors=user_errors(error)
            )
        return RevokeSessionsPayload(revoked_count=count)

    @strawberry.mutation(
        description="End every login of the viewer but the one making this request."
    )
    def revoke_other_sessions(self, info: Info) -> RevokeSessionsPayload:
        viewer = info.context.require_viewer()
        session_id = info.context.authentication.session_id
        assert session_id is not None  # a viewer comes with the login's id
        return RevokeSessionsPayload(
            revoked_count=sessions.revoke_others(viewer.id, session_id)
        )
