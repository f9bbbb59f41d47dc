"""Report commands: export-workshop, import-workshop, purge-personal-data."""

import json

import click
from sqlalchemy import select

from ..extensions import db
from ..planner.models import Workshop
from . import service, transfer


def _workshop(slug: str) -> Workshop:
    """The workshop with this slug, or a clear CLI error."""
    workshop = db.session.scalar(select(Workshop).where(Workshop.slug == slug))
    if workshop is None:
        raise click.ClickException(f"There is no workshop with the slug {slug!r}.")
    return workshop


@click.command("export-workshop")
@click.argument("slug")
@click.argument("target", type=click.Path(dir_okay=False, writable=True))
def export_workshop(slug: str, target: str) -> None:
    """Write the whole workshop as JSON (docs/export-format.md); contains personal data unless purged."""
    data = transfer.export_workshop(_workshop(slug))
    with open(target, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, ensure_ascii=False)
    click.echo(f"Exported {slug}: {len(data['polls'])} polls, {len(data['questions'])} questions, "
               f"{len(data['registrations'])} registrations to {target}.")


@click.command("import-workshop")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
def import_workshop(source: str) -> None:
    """Load a workshop exported with export-workshop (into an empty database, or one without that slug)."""
    try:
        with open(source, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"Cannot read {source}: {exc}") from None
    try:
        workshop = transfer.import_workshop(data)
    except transfer.TransferError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Imported {workshop.slug} ({workshop.title}). Facilitators new to this database need a password: "
               "flask --app workshop create-facilitator.")


@click.command("purge-personal-data")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def purge_personal_data(slug: str, yes: bool) -> None:
    """Erase names, emails, organisations, needs and question author names; keep every aggregate."""
    workshop = _workshop(slug)
    if not yes:
        click.confirm(f"Erase personal data of {workshop.title!r}? This cannot be undone", abort=True)
    done = service.purge_personal_data(workshop)
    click.echo(f"Erased personal data from {done['registrations']} registrations and {done['questions']} questions.")


COMMANDS = (export_workshop, import_workshop, purge_personal_data)
