"""``flask recompute``, ``recompute-all``, ``publish`` and ``export-results``."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask, current_app

from campaign.services.errors import DomainError
from campaign.services.results import export as results_export
from campaign.services.results import publish_check, recompute
from campaign.services.results.freshness import enqueue_recompute

from ..extensions import db
from ..models import Campaign, User


def _campaign_id(ref: str) -> int:
    q = sa.select(Campaign.id).where(Campaign.id == int(ref)) if ref.isdigit() else \
        sa.select(Campaign.id).where(Campaign.slug == ref)
    cid = db.session.scalar(q)
    if cid is None:
        raise click.UsageError(f"no campaign {ref!r} (give an id or a slug)")
    return cid


def register(app: Flask) -> None:
    @app.cli.command("recompute")
    @click.argument("campaign")
    @click.option("--enqueue", is_flag=True, help="Send to the worker instead of computing here.")
    def recompute_cmd(campaign: str, enqueue: bool):
        """Recompute a campaign's provisional result (id or slug)."""
        cid = _campaign_id(campaign)
        if enqueue:
            click.echo("enqueued" if enqueue_recompute(cid, coalesce=False) else "pipeline down: not enqueued")
            return
        res = recompute.recompute_provisional(cid, force=True)
        click.echo(f"campaign {cid}: {res['status']} units={res.get('units', 0)} version={res['version']} "
                   f"in {res.get('seconds', 0):.3f} s")

    @app.cli.command("recompute-all")
    def recompute_all_cmd():
        """Recompute every non-draft campaign in this process."""
        for res in recompute.recompute_all():
            click.echo(f"campaign {res['campaign_id']}: {res['status']} units={res.get('units', 0)}")

    @app.cli.command("publish")
    @click.argument("campaign")
    @click.option("--midterm", is_flag=True, help="Publish as a mid-term (sơ kết) result.")
    @click.option("--label", default="")
    @click.option("--user", "username", default=None, help="Record this user as the publisher.")
    def publish_cmd(campaign: str, midterm: bool, label: str, username: str | None):
        """Freeze the current provisional result as a published snapshot (official only from the appraisal stage)."""
        cid = _campaign_id(campaign)
        user_id = None
        if username:
            user_id = db.session.scalar(sa.select(User.id).where(User.username == username))
            if user_id is None:
                raise click.UsageError(f"no user {username!r}")
        try:
            with current_app.test_request_context():  # translated messages need a locale
                run_id = publish_check.publish_now(cid, user_id, "midterm" if midterm else "snapshot", label)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"published run {run_id}")

    @app.cli.command("export-results")
    @click.argument("campaign")
    @click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
    @click.option("--run", "run_id", type=int, default=None, help="A published run id (default: provisional).")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), default=None)
    def export_cmd(campaign: str, fmt: str, run_id: int | None, output: str | None):
        """Write a campaign's results as CSV or XLSX."""
        with current_app.test_request_context():  # translated headers need a locale
            content, filename, _mime = results_export.export(_campaign_id(campaign), fmt, run_id)
        path = output or filename
        with open(path, "wb") as fh:
            fh.write(content)
        click.echo(f"wrote {path}")
