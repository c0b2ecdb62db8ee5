"""Routes of the units feature (blueprint ``units``, under /admin/units): a unit's page with its
lineage, loading the official list (dry run, then confirm), the ``import-official-units`` command,
and the ``unit_lineage`` template helper used by the public unit page."""
from __future__ import annotations

from datetime import datetime

import click
from flask import Blueprint, current_app, render_template
from flask_login import current_user

from campaign.access import allow
from campaign.importers.official import REFORM_DATE, provinces, source_label
from campaign.services.errors import DomainError
from campaign.services.setup import lineage, unit_sync
from campaign.services.setup import units as units_svc

from .forms import OfficialListForm

bp = Blueprint("units", __name__, url_prefix="/admin/units", cli_group=None)


@bp.app_template_global("unit_lineage")
def _unit_lineage(unit_id: int) -> dict | None:
    """Predecessors of a unit, with their own published results (public unit page)."""
    return lineage.public_lineage(unit_id)


@bp.app_context_processor
def _lineage_labels() -> dict:
    return {"lineage_events": lineage.EVENT_LABELS}


@bp.route("/<int:unit_id>")
@allow("admin")
def unit_page(unit_id: int):
    unit = units_svc.get_unit(unit_id)
    succs = lineage.successors(unit_id)
    return render_template("units/unit.html", unit=unit, preds=lineage.predecessors(unit_id), succs=succs,
                           child_succs=[] if succs else lineage.children_successors(unit_id),
                           kind_label=units_svc.kind_label, event_labels=lineage.EVENT_LABELS)


@bp.route("/official", methods=["GET", "POST"])
@allow("admin")
def official():
    form = OfficialListForm()
    form.province.choices = [(code, f"{code} – {name}") for code, name in provinces()]
    report = None
    if form.validate_on_submit():
        try:
            report = unit_sync.load_official(form.province.data, dry_run=bool(form.dry_run.data),
                                             effective=form.effective.data, confirm=form.confirm.data or None,
                                             user_id=current_user.id)
        except DomainError as exc:
            form.province.errors = list(form.province.errors) + [exc.message]
    return render_template("units/official.html", form=form, report=report, source=source_label(),
                           reform_date=REFORM_DATE), (400 if form.errors else 200)


@bp.cli.command("import-official-units")
@click.option("--province", required=True, help="GSO code of the province or centrally run city, e.g. 01 (Hà Nội).")
@click.option("--dry-run", is_flag=True, help="Show what would change without saving.")
@click.option("--effective", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Date the list takes effect (default 2025-07-01).")
@click.option("--confirm", default=None, help="The token a dry run printed, to end the units it listed.")
def import_official_units(province: str, dry_run: bool, effective: datetime | None, confirm: str | None):
    """Load a province's official list from 1 July 2025 (vietnam-provinces) with lineage (vietnamadminunits)."""
    with current_app.test_request_context():
        try:
            report = unit_sync.load_official(province, dry_run=dry_run, confirm=confirm,
                                             effective=effective.date() if effective else None)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        for line in report.lines:
            if line.action != "unchanged":
                click.echo(f"{line.action:<11} {line.code:<6} {line.name}  {line.reason}")
        c = report.counts
        click.echo(f"source: {source_label()}")
        click.echo(f"{'DRY RUN (nothing saved): ' if dry_run else ''}created {c['created']}, updated {c['updated']}, "
                   f"unchanged {c['unchanged']}, deactivated {c['deactivated']}, new units under reused codes "
                   f"{c['successor']}, lineage links {report.lineage}")
        if report.needs_confirmation:
            click.echo(f"{'NOT SAVED: ' if not dry_run else ''}to apply the endings listed above: --confirm {report.token}")
