"""Types shared by every domain: Node, UserError, the payload helpers."""

from __future__ import annotations

from typing import Any, TypeVar

import strawberry

from app.errors import InvalidInput
from app.errors import UserErrorCode as DomainUserErrorCode

UserErrorCode = strawberry.enum(
    DomainUserErrorCode, description="Why an input was refused."
)

T = TypeVar("T")


@strawberry.interface(description="An object with a stable, opaque global ID.")
class Node:
    id: strawberry.ID


@strawberry.type(description="An expected failure of a mutation's input.")
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path into the arguments, e.g. ["input", "emails", "0", "value"].'
    )
    message: str
    code: UserErrorCode  # type: ignore[valid-type]


def user_errors(error: InvalidInput) -> list[UserError]:
    return [
        UserError(
            field=list(item.field) if item.field is not None else None,
            message=item.message,
            code=item.code,
        )
        for item in error.errors
    ]


def given(value: T | Any, default: T | None = None) -> T | None:
    """`value`, or `default` when the client left the argument out (UNSET)."""
    return default if value is strawberry.UNSET else value
