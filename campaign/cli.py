"""``flask`` commands for operators and automation."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from .extensions import db
from .models import ROLES, Unit, User

# Feature modules that add their own commands with a ``register(app)`` function.
FEATURE_COMMANDS = ("admin", "unit", "judging", "results", "public")


def register(app: Flask) -> None:
    import importlib
    import importlib.util

    for feature in FEATURE_COMMANDS:
        name = f"campaign.{feature}.commands"
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name).register(app)

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    @click.option("--unit", "unit_code", help="Unit code (required for officers).")
    @click.option("--name", "full_name", default="")
    @click.password_option()
    def create_user(username: str, role: str, unit_code: str | None, full_name: str, password: str):
        """Create a user with a role (and a unit for officers)."""
        unit = None
        if unit_code:
            unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code, Unit.valid_to.is_(None)))
            if unit is None:
                raise click.UsageError(f"no unit with code {unit_code!r}")
        if role == "officer" and unit is None:
            raise click.UsageError("an officer needs --unit")
        if len(password) < 8:
            raise click.UsageError("the password needs at least 8 characters")
        if db.session.scalar(sa.select(User).where(User.username == username)):
            raise click.UsageError(f"user {username!r} exists already")
        user = User(username=username, role=role, unit=unit, full_name=full_name)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        click.echo(f"created {role} {username}")

    @app.cli.command("backup")
    @click.option("--to", "dest", default=None, help="Directory for backups (default: instance/backups).")
    def backup_command(dest: str | None):
        """Back up the database and evidence files (consistent while the platform runs)."""
        from pathlib import Path

        from campaign.services.backup import BackupError, backup

        root = dest or str(Path(app.instance_path) / "backups")
        try:
            path = backup(root)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"backup written to {path}")

    @app.cli.command("restore")
    @click.argument("backup_dir")
    @click.option("--yes", is_flag=True, help="Confirm: the current database is replaced.")
    def restore_command(backup_dir: str, yes: bool):
        """Replace the database and evidence files with a backup (stop web and workers first)."""
        from campaign.services.backup import BackupError, restore

        if not yes:
            raise click.UsageError("restoring replaces the current database; stop the platform and add --yes")
        try:
            out = restore(backup_dir)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"restored the {out['database']} backup of {out['created_at']} "
                   f"({sum(out['row_counts'].values())} rows)")

    @app.cli.command("load-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has units already.")
    def load_demo(if_empty: bool):
        """Load the demo data set (30 real districts, generated communes, four campaigns)."""
        from .demo import load

        if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(Unit)):
            click.echo("database not empty: demo data not loaded")
            return
        summary = load()
        click.echo(summary)
