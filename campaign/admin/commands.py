"""``flask`` commands of the admin feature: unit imports, framework import/export, campaigns."""
from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app

from campaign.services.errors import DomainError
from campaign.services.setup import campaigns, framework_io, unit_sync, units

from ..extensions import db
from ..models import Framework, FrameworkVersion
from .forms import local_to_utc


def _print_report(report) -> None:
    for line in report.lines:
        if line.action != "unchanged":
            row = f"row {line.row}" if line.row else "-"
            click.echo(f"{row:>9}  {line.action:<11} {line.code:<8} {line.name}  {line.reason}")
    c = report.counts
    prefix = "DRY RUN (nothing saved): " if report.dry_run else ""
    click.echo(f"{prefix}created {c['created']}, updated {c['updated']}, unchanged {c['unchanged']}, "
               f"skipped {c['skipped']}, deactivated {c['deactivated']}")
    if report.refused:
        click.echo("REFUSED: a row above was refused; nothing was saved. Correct the file and import it again.")
    elif report.needs_confirmation and not report.dry_run:
        click.echo(f"NOT SAVED: units end or codes pass to new units; check the dry run, then --confirm {report.token}")
    elif report.token:
        click.echo(f"to apply the endings listed above: --confirm {report.token}")


def _in_request(f):
    """Services translate their messages (the locale comes from the request): give them one."""
    @functools.wraps(f)
    def run(*args, **kwargs):
        with current_app.test_request_context():
            return f(*args, **kwargs)

    return run


def register(app: Flask) -> None:
    @app.cli.command("import-units")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--format", "fmt", type=click.Choice(["gso", "csv", "clusters"]), default=None,
                  help="gso (.xls/.xlsx GSO list), csv (units) or clusters (membership CSV); guessed from the extension.")
    @click.option("--dry-run", is_flag=True, help="Show what would change without saving.")
    @click.option("--effective", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="Date from which vanished units are inactive (default: today).")
    @click.option("--confirm", default=None, help="GSO: the token a dry run printed, to end the units it listed.")
    @_in_request
    def import_units(path: Path, fmt: str | None, dry_run: bool, effective: datetime | None, confirm: str | None):
        """Import units from a GSO list (.xls/.xlsx) or a CSV; reports every row."""
        fmt = fmt or ("gso" if path.suffix.lower() in (".xls", ".xlsx") else "csv")
        data = path.read_bytes()
        try:
            if fmt == "gso":
                report = unit_sync.import_gso(data, path.name, dry_run=dry_run, confirm=confirm,
                                              effective=effective.date() if effective else None)
            elif fmt == "csv":
                report = units.import_units_csv(data, dry_run=dry_run)
            else:
                report = units.import_clusters_csv(data, dry_run=dry_run)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        _print_report(report)

    @app.cli.command("import-framework")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @_in_request
    def import_framework(path: Path):
        """Import a framework file (YAML or JSON, format thidua-framework/1) as a new version."""
        try:
            version, created = framework_io.import_framework(path.read_bytes(), path.name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        state = "imported" if created else "unchanged (identical to)"
        click.echo(f"{state} {version.framework.code} v{version.version} (id {version.id}, scale {version.scale:g})")

    @app.cli.command("export-framework")
    @click.argument("code")
    @click.option("--version", "number", type=int, default=None, help="Version number (default: latest).")
    @click.option("--format", "fmt", type=click.Choice(["yaml", "json", "xlsx"]), default="yaml")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="Output file (default: stdout for yaml/json).")
    @_in_request
    def export_framework(code: str, number: int | None, fmt: str, output: Path | None):
        """Export a stored framework (or a shipped template) as YAML, JSON or the blank XLSX table."""
        q = sa.select(FrameworkVersion).join(Framework).where(Framework.code == code)
        q = q.where(FrameworkVersion.version == number) if number else q.order_by(FrameworkVersion.version.desc())
        version = db.session.scalar(q.limit(1))
        try:
            doc = version.document if version is not None else framework_io.template_doc(code)
        except DomainError as exc:
            raise click.ClickException(f"no framework {code!r}") from exc
        if fmt == "xlsx":
            if output is None:
                raise click.UsageError("xlsx needs --output FILE")
            output.write_bytes(framework_io.blank_scoring_table(doc))
            click.echo(f"wrote {output}")
            return
        text = framework_io.dumps(doc, fmt)
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            click.echo(f"wrote {output}")

    @app.cli.command("create-campaign")
    @click.argument("framework", metavar="FRAMEWORK_FILE_OR_TEMPLATE")
    @click.option("--name", required=True, help="Vietnamese name of the campaign.")
    @click.option("--name-en", default=None)
    @click.option("--kind", type=click.Choice(["regular", "thematic"]), default="regular")
    @click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Period start (YYYY-MM-DD).")
    @click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Period end (YYYY-MM-DD).")
    @click.option("--deadline", type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%d"]), default=None,
                  help="Submission deadline, Vietnam time.")
    @click.option("--level", "levels", type=click.IntRange(2, 3), multiple=True,
                  help="Participating level (2 = districts, 3 = communes); repeatable.")
    @click.option("--unit-kind", "kinds", multiple=True, help="Participating unit kind (e.g. ward); repeatable.")
    @click.option("--unit", "codes", multiple=True, help="Participating unit code; repeatable.")
    @click.option("--bands", "bands_opt", default=None,
                  help="Bands instead of the framework's (or the four defaults): code:min_total[:floor_pct],… "
                       "e.g. 'dat:50', or a JSON/YAML file with the list.")
    @_in_request
    def create_campaign(framework: str, name: str, name_en: str | None, kind: str, start, end, deadline,
                        levels, kinds, codes, bands_opt):
        """Create a draft campaign from a framework file (or a template code such as ntm-2016).

        Its bands are the framework's own when it declares some, else the four defaults; --bands overrides both.
        """
        settings = {"bands": _bands_option(bands_opt)} if bands_opt else {}
        try:
            path = Path(framework)
            if path.exists():
                version, _created = framework_io.store(framework_io.loads(path.read_bytes(), path.name))
            else:
                version = framework_io.install_template(framework)
            db.session.flush()
            c = campaigns.create_campaign({
                "name": name, "name_en": name_en, "kind": kind,
                "period_start": start.date() if start else None, "period_end": end.date() if end else None,
                "submission_deadline": local_to_utc(deadline) if deadline else None,
                "framework_version_id": version.id,
                "participants": {"levels": list(levels), "kinds": list(kinds), "cluster_ids": [], "unit_codes": list(codes)},
                "settings": settings,
            })
        except campaigns.ValidationFailed as exc:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in exc.errors.items())) from exc
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        n = len(campaigns.participants(c.id))
        click.echo(f"created campaign {c.id} '{c.slug}' (draft) with {n} participating units, "
                   f"framework {version.framework.code} v{version.version}")
        click.echo("bands: " + ", ".join(f"{b['code']} ≥ {b['min_total']:g}" for b in c.settings["bands"]))

    @app.cli.command("list-campaigns")
    @click.option("--all", "show_all", is_flag=True, help="Include archived campaigns.")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @_in_request
    def list_campaigns(show_all: bool, as_json: bool):
        """List campaigns with status, participants and entries."""
        rows = campaigns.list_campaigns(include_archived=show_all)
        if as_json:
            click.echo(json.dumps([{
                "id": r["campaign"].id, "slug": r["campaign"].slug, "name": r["campaign"].name,
                "status": r["campaign"].status, "participants": r["participants"], "entries": r["entries"],
                "archived": r["campaign"].archived_at is not None} for r in rows], ensure_ascii=False, indent=2))
            return
        for r in rows:
            c = r["campaign"]
            arch = " [archived]" if c.archived_at else ""
            click.echo(f"{c.id:>4}  {c.status:<10} {r['participants']:>4} units {r['entries']:>4} entries  "
                       f"{c.slug}  {c.name}{arch}")



def _bands_option(text: str) -> list[dict]:
    """``--bands``: a JSON/YAML file holding the bands list, or "code:min_total[:floor_pct],…"."""
    from campaign.services.setup.band_settings import parse_bands_option

    path = Path(text)
    if path.is_file():
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = data.get("bands") if isinstance(data, dict) else data
        if not isinstance(data, list) or not data:
            raise click.UsageError(f"{text}: expected a list of bands (or a mapping with 'bands')")
        return data
    try:
        return parse_bands_option(text)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
