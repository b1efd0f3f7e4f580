"""Cleaning and length rules shared by every text input."""

from email_validator import EmailNotValidError, validate_email

from app.errors import FieldError, UserErrorCode

Path = tuple[str, ...]
EMAIL_MAX_LENGTH = 254


def clean_text(
    value: str | None, path: Path, max_length: int, errors: list[FieldError]
) -> str | None:
    """Trim `value`; blank becomes None. Records a FieldError when it is too
    long or holds a NUL character (which PostgreSQL cannot store)."""
    if value is None:
        return None
    if "\x00" in value:
        errors.append(
            FieldError(path, "Must not contain NUL characters.", UserErrorCode.INVALID)
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
