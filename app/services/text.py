"""Cleaning and length rules shared by every text input."""

import re

from email_validator import EmailNotValidError, validate_email

from app.errors import FieldError, UserErrorCode

Path = tuple[str, ...]
EMAIL_MAX_LENGTH = 254
SURROGATE = re.compile("[\ud800-\udfff]")


def unusable_characters(value: str) -> str | None:
    """What in `value` no database can store or compare, if anything: NUL
    (PostgreSQL refuses it) or a lone surrogate, which JSON's "\\ud800"
    escape can carry and which no UTF-8 encoder accepts."""
    if "\x00" in value:
        return "NUL characters"
    if SURROGATE.search(value):
        return "unpaired surrogates (invalid Unicode)"
    return None


def clean_text(
    value: str | None, path: Path, max_length: int, errors: list[FieldError]
) -> str | None:
    """Trim `value`; blank becomes None. Records a FieldError when it is too
    long or holds characters that cannot be stored (`unusable_characters`)."""
    if value is None:
        return None
    unusable = unusable_characters(value)
    if unusable is not None:
        errors.append(
            FieldError(path, f"Must not contain {unusable}.", UserErrorCode.INVALID)
        )
        return None
    value = value.strip()
    if len(value) > max_length:
        errors.append(
            FieldError(
                path,
                f"Must be at most {max_length} characters.",
                UserErrorCode.TOO_LONG,
            )
        )
        return None
    return value or None


def required_unless_reported(
    path: Path, message: str, errors: list[FieldError]
) -> None:
    """Report a missing value, unless `clean_text` already said why it is None."""
    if not any(error.field == path for error in errors):
        errors.append(FieldError(path, message, UserErrorCode.REQUIRED))


def clean_email(raw: str, path: Path, errors: list[FieldError]) -> str | None:
    """`raw` checked for syntax (no DNS lookups), with its domain lower-cased."""
    value = clean_text(raw, path, EMAIL_MAX_LENGTH, errors)
    if value is None:
        required_unless_reported(path, "Enter an email address.", errors)
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        errors.append(FieldError(path, str(error), UserErrorCode.INVALID))
        return None
