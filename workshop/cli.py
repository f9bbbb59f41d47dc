"""Command-line interface: `flask --app workshop <command>`."""

import os
import sqlite3

import click
from flask import Flask, current_app
from flask_migrate import upgrade
from sqlalchemy import func, select

from .accounts.models import Facilitator
from .accounts.passwords import password_problem
from .accounts.service import find_facilitator, generate_password, save_facilitator
from .demo import seed_demo
from .extensions import db

CO_HOST = ("markoneinfour@example.org", "Mark (co-host)")


def register(app: Flask) -> None:
    """Attach the commands to the app's CLI group."""
    from .reports.cli import COMMANDS as report_commands

    for command in (create_facilitator, setup, seed_demo_command, backup, *report_commands):
        app.cli.add_command(command)


@click.command("create-facilitator")
@click.option("--email", prompt=True)
@click.option("--name", default=None)
@click.password_option()
def create_facilitator(email: str, name: str | None, password: str) -> None:
    """Create a facilitator account, or reset its password (at least 12 characters, not a common one)."""
    if problem := password_problem(password):
        raise click.BadParameter(problem, param_hint="password")
    existed = find_facilitator(email) is not None
    user = save_facilitator(email, password, name)
    if not existed:
        click.echo(f"Facilitator {user.email} created.")
        return
    click.echo(f"Facilitator {user.email} already existed: its password is now the one you typed.")
    admin = os.environ.get("WORKSHOP_ADMIN_EMAIL", "").strip().lower()
    if admin == user.email and os.environ.get("WORKSHOP_ADMIN_PASSWORD"):
        click.echo("Note: WORKSHOP_ADMIN_EMAIL names this account, which setup creates or updates at every start "
                   "(`make run`, `flask setup`): the next start sets its password back to WORKSHOP_ADMIN_PASSWORD. "
                   "Change or unset those variables to keep this password.")


def ensure_admin() -> Facilitator:
    """Create/update the first facilitator from WORKSHOP_ADMIN_*; or generate one once."""
    email, password = os.environ.get("WORKSHOP_ADMIN_EMAIL"), os.environ.get("WORKSHOP_ADMIN_PASSWORD")
    if email and password:
        if problem := password_problem(password):
            raise click.ClickException(f"WORKSHOP_ADMIN_PASSWORD: {problem}")
        return save_facilitator(email, password, "Host")
    existing = db.session.scalar(select(Facilitator).order_by(Facilitator.id).limit(1))
    if existing:
        return existing
    password = generate_password()
    user = save_facilitator("host@example.org", password, "Host")
    click.echo(f"\n  Facilitator login: {user.email} / {password}\n  (shown once; change it with "
               "`.venv/bin/flask --app workshop create-facilitator`)\n")
    return user


@click.command("setup")
def setup() -> None:
    """Migrate the database, ensure a facilitator, seed the demo workshop if the database is empty."""
    upgrade()
    admin = ensure_admin()
    co_host = find_facilitator(CO_HOST[0]) or save_facilitator(CO_HOST[0], generate_password(), CO_HOST[1])
    from .planner.models import Workshop

    if db.session.scalar(select(func.count()).select_from(Workshop)) == 0 and seed_demo([admin, co_host]):
        click.echo("Seeded the demo workshop /w/snog-marry-avoid (join code SNOG).")


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Add the demo workshop (if it is not there yet)."""
    admin = ensure_admin()
    co_host = find_facilitator(CO_HOST[0]) or save_facilitator(CO_HOST[0], generate_password(), CO_HOST[1])
    click.echo("Seeded." if seed_demo([admin, co_host]) else "The demo workshop already exists.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
def backup(target: str) -> None:
    """Write a consistent copy of the SQLite database while the server runs (online backup API)."""
    uri = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        raise click.ClickException("backup is for SQLite; use pg_dump for PostgreSQL (docs/deploy.md).")
    source = sqlite3.connect(uri.removeprefix("sqlite:///"))
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    destination.close()
    source.close()
    click.echo(f"Backed up to {target}.")
