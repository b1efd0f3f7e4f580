"""`flask` commands."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services import tokens
from app.services.transaction import transactional

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
    """Delete logins whose tokens have all expired."""
    removed = transactional(tokens.prune_expired)()
    click.echo(f"Removed {removed} expired logins")
