"""``flask import-values``: import indicator values for many units from one XLSX sheet."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from campaign.services.errors import DomainError
from campaign.services.submissions.evidence import sweep_orphans
from campaign.services.submissions.values_xlsx import import_path

from ..extensions import db
from ..models import User


def register(app: Flask) -> None:
    _register_sweep(app)

    @app.cli.command("import-values")
    @click.argument("campaign_slug")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--as-user", "username", default=None, help="Admin recorded as the author in the audit log.")
    def import_values(campaign_slug: str, path: str, username: str | None):
        """Import values from PATH (the 'Giá trị' sheet) into CAMPAIGN_SLUG; prints a cell-by-cell report."""
        user = None
        if username:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            if user is None or user.role != "admin":
                raise click.UsageError(f"no admin user {username!r}")
        try:
            # messages are translated (Vietnamese by default), which needs a request context
            with app.test_request_context("/"):
                report = import_path(campaign_slug, path, user)
        except DomainError as exc:
            click.echo(f"REFUSED: {exc.message}", err=True)
            raise SystemExit(2) from None
        for r in report.rows:
            line = f"row {r.row}\t{r.unit_code}\t{r.code}\t{r.status}"
            if r.reason:
                line += f"\t{r.reason}"
            click.echo(line)
        click.echo(f"accepted={report.accepted} refused={report.refused} unchanged={report.unchanged}")


def _register_sweep(app: Flask) -> None:
    @app.cli.command("sweep-uploads")
    @click.option("--hours", default=24.0, show_default=True, help="Grace period before an orphan is deleted.")
    def sweep_uploads(hours: float):
        """Delete evidence files no database row references (older than --hours)."""
        removed = sweep_orphans(hours * 3600)
        for name in removed:
            click.echo(f"removed {name}")
        click.echo(f"{len(removed)} orphan file(s) removed")
