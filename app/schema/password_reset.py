"""Password reset by email: requestPasswordReset, resetPassword."""

from __future__ import annotations

import strawberry

from app.errors import InvalidInput
from app.schema.auth import AuthPayload
from app.schema.common import UserError, user_errors
from app.schema.context import Info
from app.schema.throttling import RateLimit, count_reset_password, count_reset_request
from app.services import password_reset


@strawberry.type
class RequestPasswordResetPayload:
    ok: bool
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ResetPasswordInput:
    token: str = strawberry.field(description="The token of the emailed link.")
    new_password: str = strawberry.field(
        description="8 to 128 characters; not a common password or the email."
    )


@strawberry.type
class PasswordResetMutation:
    @strawberry.mutation(
        description=(
            "Email a link to reset the password of the account with this "
            "address, if there is one: the answer is the same either way. "
            "The link works once, for 30 minutes (the server's setting)."
        ),
        extensions=[RateLimit(count_reset_request)],
    )
    def request_password_reset(self, email: str) -> RequestPasswordResetPayload:
        try:
            password_reset.request_reset(email)
        except InvalidInput as error:
            return RequestPasswordResetPayload(ok=False, user_errors=user_errors(error))
        return RequestPasswordResetPayload(ok=True)

    @strawberry.mutation(
        description=(
            "Set a new password with the token of a reset link (INVALID_TOKEN "
            "when unknown, expired or used) and sign in; every other login "
            "of the account ends."
        ),
        extensions=[RateLimit(count_reset_password)],
    )
    def reset_password(self, info: Info, input: ResetPasswordInput) -> AuthPayload:
        user_agent = info.context.request.headers.get("User-Agent")
        try:
            issued = password_reset.reset_password(
                input.token, input.new_password, user_agent
            )
        except InvalidInput as error:
            return AuthPayload(user_errors=user_errors(error))
        return AuthPayload.from_tokens(issued)
