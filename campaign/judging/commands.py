"""``flask assign-judges`` — automatic judge assignment from the command line."""
from __future__ import annotations

import click
from flask import Flask, current_app

from campaign.services.errors import NotFound
from campaign.services.judging import assignment
from campaign.services.setup.campaigns import get_campaign_by_slug


def register(app: Flask) -> None:
    @app.cli.command("assign-judges")
    @click.argument("campaign_slug")
    @click.option("--dry-run", is_flag=True, help="Show the plan without saving it.")
    def assign_judges(campaign_slug: str, dry_run: bool):
        """Give each submitted entry of CAMPAIGN_SLUG its judges (balanced, no conflicts)."""
        try:
            with current_app.test_request_context():  # the services' messages are translated: they need a locale
                campaign = get_campaign_by_slug(campaign_slug)
        except NotFound:
            raise click.UsageError(f"no campaign with slug {campaign_slug!r}") from None
        plan = assignment.propose(campaign.id) if dry_run else assignment.apply_auto(campaign.id)
        click.echo(f"{'would create' if dry_run else 'created'} {len(plan.new)} assignments, "
                   f"{plan.k} judges per entry")
        for judge_id, load in sorted(plan.loads.items()):
            click.echo(f"  judge {judge_id}: {load} entries")
        for s in plan.shortfalls:
            click.echo(f"  entry {s.entry_id}: {s.got}/{s.needed} judges ({s.reason}, {s.eligible} eligible)")
        if plan.shortfalls:
            raise SystemExit(1)
