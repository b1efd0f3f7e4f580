"""Accounts and tokens: User, register, login, refreshToken, logout, me."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app import models
from app.errors import InvalidInput
from app.schema.common import Node, UserError, given, user_errors
from app.schema.context import Info
from app.schema.ids import to_global_id
from app.schema.sessions import Session, sessions_of
from app.schema.throttling import RateLimit, count_login, count_refresh, count_register
from app.services import auth
from app.services.tokens import IssuedTokens, Viewer


@strawberry.type(description="An account.")
class User(Node):
    id: strawberry.ID
    email: str
    name: str | None
    created_at: datetime
    # Only the account's owner ever gets a User (me, node, a sign-in's
    # payload); these say whose logins `sessions` lists, and which is theirs.
    pk: strawberry.Private[int]
    session_id: strawberry.Private[str | None]

    @classmethod
    def from_model(
        cls, user: models.User | Viewer, session_id: str | None = None
    ) -> User:
        """`session_id`: the caller's login (`Session.current`)."""
        return cls(
            id=strawberry.ID(to_global_id("User", user.id)),
            email=user.email,
            name=user.name,
            created_at=user.created_at,
            pk=user.id,
            session_id=session_id,
        )

    @strawberry.field(
        description=(
            "The account's live logins (not ended, not expired), newest first; "
            "at most 100: signing in beyond that ends the oldest."
        )
    )
    def sessions(self) -> list[Session]:
        return sessions_of(self.pk, self.session_id)


@strawberry.type
class AuthPayload:
    user: User | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = strawberry.field(
        default=None, description="Seconds until accessToken expires."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def from_tokens(cls, issued: IssuedTokens) -> AuthPayload:
        return cls(
            user=User.from_model(issued.user, issued.session_id),
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
        )


@strawberry.type
class LogoutPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RegisterInput:
    email: str = strawberry.field(description="At most 254 characters.")
    password: str = strawberry.field(
        description="8 to 128 characters; not a common password or the email."
    )
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="At most 100 characters."
    )


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class AuthQuery:
    @strawberry.field(description="The signed-in user; null without a token.")
    def me(self, info: Info) -> User | None:
        viewer = info.context.viewer
        session_id = info.context.authentication.session_id
        return User.from_model(viewer, session_id) if viewer else None


@strawberry.type
class AuthMutation:
    @strawberry.mutation(
        description="Create an account and sign in to it.",
        extensions=[RateLimit(count_register)],
    )
    def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        user_agent = info.context.request.headers.get("User-Agent")
        try:
            return AuthPayload.from_tokens(
                auth.register(
                    input.email, input.password, given(input.name), user_agent
                )
            )
        except InvalidInput as error:
            return AuthPayload(user_errors=user_errors(error))

    @strawberry.mutation(
        description="Sign in with email (any case) and password.",
        extensions=[RateLimit(count_login)],
    )
    def login(self, info: Info, input: LoginInput) -> AuthPayload:
        user_agent = info.context.request.headers.get("User-Agent")
        try:
            return AuthPayload.from_tokens(
                auth.login(input.email, input.password, user_agent)
            )
        except InvalidInput as error:
            return AuthPayload(user_errors=user_errors(error))

    @strawberry.mutation(
        description="Trade a refresh token for a new pair; the old one is retired.",
        extensions=[RateLimit(count_refresh)],
    )
    def refresh_token(self, refresh_token: str) -> AuthPayload:
        try:
            return AuthPayload.from_tokens(auth.refresh(refresh_token))
        except InvalidInput as error:
            return AuthPayload(user_errors=user_errors(error))

    @strawberry.mutation(
        description="Revoke the access token in the header and the refresh token given."
    )
    def logout(
        self, info: Info, refresh_token: str | None = strawberry.UNSET
    ) -> LogoutPayload:
        """An expired or revoked access token in the header does not stop the
        refresh token's login from ending: clients often log out long after
        their access token expired, and the refresh token proves the login.
        No rate limit either: ending a login must always work."""
        authentication = info.context.authentication
        refresh = given(refresh_token)
        if authentication.error is not None and refresh is None:
            raise authentication.error
        try:
            auth.logout(authentication.user, authentication.session_id, refresh)
        except InvalidInput as error:
            return LogoutPayload(ok=False, user_errors=user_errors(error))
        return LogoutPayload(ok=True)
