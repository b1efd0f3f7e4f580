"""`flask` commands."""

import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.db.transaction import transactional
from app.errors import BadUserInput, InvalidInput
from app.formats.sniffing import Format
from app.schema.ids import to_global_id
from app.services import auth, exports, imports, password_reset, seed, tokens, trash

DEFAULT_SCHEMA_PATH = Path(__file__).parent.parent / "schema.graphql"


def printed_schema() -> str:
    return str(current_app.extensions["graphql_schema"]) + "\n"


@click.command("export-schema")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SCHEMA_PATH,
    show_default=True,
    help="Where to write the SDL; '-' prints it.",
)
@with_appcontext
def export_schema_command(output: Path) -> None:
    """Write the schema the app serves as SDL (schema.graphql)."""
    if str(output) == "-":
        click.echo(printed_schema(), nl=False)
        return
    output.write_text(printed_schema(), encoding="utf-8")
    click.echo(f"Wrote {output}")


@click.command("prune-tokens")
@with_appcontext
def prune_tokens_command() -> None:
    """Delete logins whose tokens have all expired, and the records of
    expired refresh tokens in logins that live on."""
    logins, refresh_tokens = transactional(prune_all_expired)()
    click.echo(
        f"Removed {logins} expired logins and {refresh_tokens} expired refresh tokens"
    )


def prune_all_expired() -> tuple[int, int]:
    return tokens.prune_expired(), tokens.prune_expired_refresh_tokens()


@click.command("purge")
@with_appcontext
def purge_command() -> None:
    """The daily clean-up, for cron or a Kubernetes CronJob: delete contacts
    in the trash for longer than TRASH_RETENTION_DAYS, expired logins and
    refresh tokens, and change-log entries older than SYNC_TOKEN_TTL_DAYS
    (and a day), beyond which history and sync tokens no longer reach."""
    settings = current_app.config
    report = trash.purge_expired(
        retention=timedelta(days=settings["TRASH_RETENTION_DAYS"]),
        sync_window=timedelta(days=settings["SYNC_TOKEN_TTL_DAYS"]),
    )
    logins, refresh_tokens = transactional(prune_all_expired)()
    click.echo(
        f"Purged {report.contacts} contacts from the trash, "
        f"{report.change_log_entries} change-log entries, "
        f"{logins} expired logins and {refresh_tokens} expired refresh tokens"
    )


def _fail(error: InvalidInput) -> click.ClickException:
    """The rule `error` broke, as `flask` prints it (exit code 1)."""
    lines = [
        f"{error.field[-1]}: {error.message}" if error.field else error.message
        for error in error.errors
    ]
    return click.ClickException("\n".join(lines))


@click.command("create-user")
@click.argument("email")
@click.option("--name", help="The user's name (optional).")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of stdin instead of prompting.",
)
@click.option(
    "--reset-password",
    is_flag=True,
    help=(
        "Print a password-reset link (single use, PASSWORD_RESET_TTL) instead "
        "of asking for a password: for EMAIL's account, or for a new one "
        "whose user then chooses the password."
    ),
)
@with_appcontext
def create_user_command(
    email: str, name: str | None, password_stdin: bool, reset_password: bool
) -> None:
    """Create an account for EMAIL, under the same rules as `register`.

    The password is asked for twice, hidden, or read from stdin with
    --password-stdin (for scripts: `printf '%s\\n' "$PW" | flask create-user
    ada@example.com --password-stdin`). Prints the email and global ID.

    With --reset-password no password is asked for: prints a reset link to
    hand to the user, for EMAIL's account if there is one (a user locked
    out), else for a new account. Nothing is mailed.
    """
    if reset_password:
        if password_stdin:
            raise click.UsageError(
                "--reset-password and --password-stdin exclude each other"
            )
        _print_reset_link(email, name)
        return
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = auth.create_account(email, password, name)
    except InvalidInput as error:
        raise _fail(error) from None
    click.echo(f"Created user {user.email} (id {to_global_id('User', user.id)})")


def _print_reset_link(email: str, name: str | None) -> None:
    try:
        issued = password_reset.link_for_operator(email, name)
    except InvalidInput as error:
        raise _fail(error) from None
    user = issued.user
    what = "Created user" if issued.created else "Existing user"
    click.echo(f"{what} {user.email} (id {to_global_id('User', user.id)})")
    minutes = round(password_reset.ttl().total_seconds() / 60)
    click.echo(
        f"Password reset link (works once, for {minutes} minutes; "
        "hand it to the user only):"
    )
    click.echo(issued.link)


@click.command("seed")
@click.option(
    "--users",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="How many demo accounts (demo1@example.com, demo2@...).",
)
@click.option(
    "--contacts",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="How many contacts each demo account gets.",
)
@click.option(
    "--password",
    default=seed.DEMO_PASSWORD,
    show_default=True,
    help="The password of every demo account.",
)
@click.option(
    "--seed",
    "random_seed",
    type=int,
    help="Random seed: the same seed gives the same data. Random by default.",
)
@click.option(
    "--allow-production",
    is_flag=True,
    help="Seed even when APP_ENV=production (demo accounts have a known password).",
)
@with_appcontext
def seed_command(
    users: int,
    contacts: int,
    password: str,
    random_seed: int | None,
    allow_production: bool,
) -> None:
    """Fill the database with demo users and realistic contacts.

    Needs an empty database (or one without the demo accounts): run
    `flask db upgrade` first. One transaction per user; a progress bar
    goes to stderr.
    """
    if current_app.config.get("ENV_NAME") == "production" and not allow_production:
        raise click.ClickException(
            "Refusing to seed a production database with demo accounts; "
            "pass --allow-production if you mean it."
        )
    try:
        seed.check(users, password)
    except InvalidInput as error:
        raise _fail(error) from None
    with click.progressbar(
        length=users * contacts, label="Seeding contacts", file=sys.stderr
    ) as bar:
        report = seed.seed(users, contacts, password, random_seed, bar.update)
    click.echo(
        f"Created {len(report.users)} users and {report.contacts} contacts "
        f"in {report.seconds:.2f} s ({report.rate:,.0f} contacts/s)."
    )
    shown = password if password == seed.DEMO_PASSWORD else "the one given"
    click.echo(f"Demo logins (password: {shown}):")
    for user in report.users:
        click.echo(f"  {user.email}  {user.name}")


@click.command("export-contacts")
@click.argument("email")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["vcard", "csv"]),
    default="vcard",
    show_default=True,
)
@click.option(
    "--version",
    "vcard_version",
    type=click.Choice(exports.VCARD_VERSIONS),
    default=exports.VCARD_VERSIONS[0],
    show_default=True,
    help="The vCard version (a CSV has none).",
)
@click.option("--tag", help="Only the contacts carrying this tag (ignoring case).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    help="The file to write; standard output by default.",
)
@with_appcontext
def export_contacts_command(
    email: str, file_format: str, vcard_version: str, tag: str | None, output: str
) -> None:
    """Write EMAIL's contacts (not the trash) as vCard or CSV, as GET
    /export/contacts.vcf and .csv do, streamed: any size in flat memory. A
    file is written whole or not at all."""
    user_id = auth.account_id(email)
    if user_id is None:
        raise click.ClickException(f"No account has the email {email}.")
    try:
        export = exports.Export.of(
            user_id, exports.ExportFormat(file_format), vcard_version, tag
        )
    except BadUserInput as error:
        raise click.ClickException(error.message) from None
    with click.open_file(output, "wb", atomic=output != "-") as target:
        for text in export.text():
            target.write(text.encode())


@click.command("import-contacts")
@click.argument("email")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "format_name",
    type=click.Choice(["vcard", "csv"], case_sensitive=False),
    help="The file's format. Default: detected (BEGIN:VCARD starts a vCard).",
)
@click.option(
    "--dry-run", is_flag=True, help="Check and match every record; write nothing."
)
@click.option(
    "--skip-duplicates",
    is_flag=True,
    help=(
        "Do not create a record that duplicates a contact of the account or "
        "an earlier record of the file (by default it is created, and counted "
        "as a duplicate)."
    ),
)
@click.option(
    "--phone-region",
    metavar="CODE",
    help=(
        "Read national phone numbers (without +country code) as numbers of "
        "this region, an ISO 3166-1 alpha-2 code like US or GB."
    ),
)
@with_appcontext
def import_contacts_command(
    email: str,
    file: Path,
    format_name: str | None,
    dry_run: bool,
    skip_duplicates: bool,
    phone_region: str | None,
) -> None:
    """Import FILE (vCard 2.1/3.0/4.0, or a Google, Outlook or our own CSV)
    into EMAIL's account, by the rules of the importContacts mutation, for
    files of any size.

    FILE is read as it goes, 200 records per transaction, so memory stays
    flat however large it is, but for the keys that find duplicates within
    the file (a few short strings per record, O(n)). A failure part-way
    leaves the transactions before it committed: run the command again
    with --skip-duplicates to import the rest without doubling them.

    A progress bar goes to stderr; each failed record is printed with its
    index (0-based) and errors, then the totals. Exit code 1 when EMAIL has
    no account or FILE is not a contact file.
    """
    user_id = auth.account_id(email)
    if user_id is None:
        raise click.ClickException(f"No account for {email}.")
    try:
        region = imports.phone_region(phone_region)
    except InvalidInput as error:
        raise click.BadParameter(
            error.errors[0].message, param_hint="--phone-region"
        ) from None
    options = imports.ImportOptions(dry_run, skip_duplicates, region)
    format = Format(format_name.upper()) if format_name else None
    with click.progressbar(
        length=file.stat().st_size, label="Importing contacts", file=sys.stderr
    ) as bar:

        def show(results: Sequence[imports.RecordResult], position: int) -> None:
            bar.update(position - bar.pos)
            for result in results:
                if result.status is imports.ImportStatus.FAILED:
                    click.echo(_failure(result))

        try:
            totals = imports.import_file(user_id, file, format, options, show)
        except InvalidInput as error:  # about the whole file
            raise click.ClickException(error.errors[0].message) from None
    created = totals.imported + (0 if skip_duplicates else totals.duplicates)
    click.echo(
        f"{totals.imported} imported, {totals.duplicates} duplicates, "
        f"{totals.skipped} skipped, {totals.failed} failed: "
        + (
            f"{created} contacts would be created (dry run, nothing written)."
            if dry_run
            else f"{created} contacts created."
        )
    )


def _failure(result: imports.RecordResult) -> str:
    """ "record 7: emails.0.value: Not a valid email address.", an error a
    line; each path inside the record (after "records", "<index>")."""
    lines = [
        ".".join(error.field[2:]) + ": " + error.message
        if error.field and error.field[2:]
        else error.message
        for error in result.errors
    ]
    return f"record {result.index}: " + "\n  ".join(lines)


# Every command; `register_commands` in app/__init__.py adds them to `flask`.
COMMANDS = (
    export_schema_command,
    create_user_command,
    seed_command,
    prune_tokens_command,
    purge_command,
    export_contacts_command,
    import_contacts_command,
)
