"""Cleaning and length rules shared by every text input."""

import contextlib
import re
import unicodedata

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


def normalized_email(value: str) -> str:
    """`value` in the one form an address is stored in: checked for syntax
    (no DNS lookups), its domain IDNA-decoded (`xn--bcher-kva` is `bücher`)
    and lower-cased, the whole in Unicode NFC. Raises EmailNotValidError."""
    return validate_email(value, check_deliverability=False).normalized


def email_key(raw: str) -> str:
    """The form in which every spelling of one address is equal, which an
    account's email is unique in and looked up by (register, login, rate
    limits): the normalised address, case-folded. A string that is no
    address is only trimmed and case-folded, and so finds no account."""
    value = raw.strip()
    with contextlib.suppress(EmailNotValidError):
        value = normalized_email(value)
    return unicodedata.normalize("NFC", value.casefold())


def clean_email(raw: str, path: Path, errors: list[FieldError]) -> str | None:
    """`raw` trimmed and normalised (`normalized_email`), or None with the
    problem recorded in `errors`."""
    value = clean_text(raw, path, EMAIL_MAX_LENGTH, errors)
    if value is None:
        required_unless_reported(path, "Enter an email address.", errors)
        return None
    try:
        return normalized_email(value)
    except EmailNotValidError as error:
        errors.append(FieldError(path, str(error), UserErrorCode.INVALID))
        return None
