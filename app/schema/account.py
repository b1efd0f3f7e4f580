"""The signed-in user's account: changePassword, deleteAccount."""

from __future__ import annotations

import strawberry

from app.errors import InvalidInput
from app.schema.auth import AuthPayload
from app.schema.common import UserError, user_errors
from app.schema.context import Info
from app.schema.ids import to_global_id
from app.schema.throttling import count_password_check
from app.services import accounts
from app.services.tokens import Viewer


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str = strawberry.field(
        description="8 to 128 characters; not a common password or the email."
    )


@strawberry.type
class DeleteAccountPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _password_checked(info: Info) -> tuple[Viewer, str]:
    """The viewer and its login's id, once the password check about to run
    is counted like a login attempt (RATE_LIMITED when over the limits)."""
    viewer = info.context.require_viewer()
    session_id = info.context.authentication.session_id
    assert session_id is not None  # a viewer comes with the login's id
    count_password_check(info.context.request, info.context.response, viewer.email)
    return viewer, session_id


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description=(
            "Set a new password, given the current one (INVALID_CREDENTIALS "
            "when wrong; counted like login attempts). Returns a new pair "
            "for this login and ends every other login of the account at once."
        )
    )
    def change_password(self, info: Info, input: ChangePasswordInput) -> AuthPayload:
        viewer, session_id = _password_checked(info)
        try:
            issued = accounts.change_password(
                viewer.id, session_id, input.current_password, input.new_password
            )
        except InvalidInput as error:
            return AuthPayload(user_errors=user_errors(error))
        return AuthPayload.from_tokens(issued)

    @strawberry.mutation(
        description=(
            "Delete the viewer's account and everything it holds (contacts, "
            "tags, logins), given its password (INVALID_CREDENTIALS when "
            "wrong, and nothing is deleted; counted like login attempts). "
            "Its tokens stop working at once."
        )
    )
    def delete_account(self, info: Info, password: str) -> DeleteAccountPayload:
        viewer, _ = _password_checked(info)
        try:
            deleted = accounts.delete_account(viewer.id, password)
        except InvalidInput as error:
            return DeleteAccountPayload(user_errors=user_errors(error))
        info.context.forget_tag_counts()
        return DeleteAccountPayload(
            deleted_id=strawberry.ID(to_global_id("User", deleted))
        )
