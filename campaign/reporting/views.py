"""Routes of the 'reporting' feature (blueprint `reporting`, under /admin/reporting):
the commission's completeness view, bulk value import and shared-file flags."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaign.safe_export import XLSX_MIMETYPE
from campaign.services.errors import DomainError
from campaign.services.submissions import entries as entries_svc
from campaign.services.submissions import reporting as svc
from campaign.services.submissions import values_import_jobs, values_xlsx

from ..access import allow
from ..web import attachment
from .forms import ClarifyForm, WorkbookImportForm

bp = Blueprint("reporting", __name__, url_prefix="/admin/reporting")


@bp.route("/")
@allow("admin")
def index():
    return render_template("reporting/index.html", rows=svc.overview())


@bp.route("/<int:campaign_id>")
@allow("admin")
def campaign(campaign_id: int):
    return render_template("reporting/campaign.html", **svc.campaign_page(campaign_id), form=WorkbookImportForm())


@bp.route("/<int:campaign_id>/districts/<int:district_id>")
@allow("admin")
def district(campaign_id: int, district_id: int):
    return render_template("reporting/district.html", **svc.district_detail(campaign_id, district_id))


@bp.route("/<int:campaign_id>/export.csv")
@allow("admin")
def export_csv(campaign_id: int):
    text, name = svc.csv_export(campaign_id)
    return attachment(text, name, "text/csv; charset=utf-8")


@bp.route("/<int:campaign_id>/template.xlsx")
@allow("admin")
def template_xlsx(campaign_id: int):
    data, name = values_xlsx.campaign_workbook(campaign_id)
    return attachment(data, name, XLSX_MIMETYPE)


@bp.route("/<int:campaign_id>/import", methods=["POST"])
@allow("admin")
def import_values(campaign_id: int):
    """Small files are imported here; large ones go to the worker and the admin watches its progress."""
    form = WorkbookImportForm()
    form.validate_on_submit()
    try:
        report = values_import_jobs.submit(campaign_id, current_user, request.files.get("workbook"), str(get_locale()))
    except DomainError as exc:
        return render_template("reporting/import_report.html", campaign_id=campaign_id, report=None,
                               error=exc.message), exc.status
    if report is None:
        return redirect(url_for("reporting.import_progress", campaign_id=campaign_id), code=303)
    return render_template("reporting/import_report.html", campaign_id=campaign_id, report=report, error=None)


@bp.route("/<int:campaign_id>/import")
@allow("admin")
def import_progress(campaign_id: int):
    """The worker's import: a progress bar while it runs, then the same report as a small file's."""
    job = values_import_jobs.status(campaign_id, current_user)
    if job["status"] == "none":
        return redirect(url_for("reporting.campaign", campaign_id=campaign_id))
    if job["status"] in ("done", "failed"):
        return render_template("reporting/import_report.html", campaign_id=campaign_id, report=job.get("report"),
                               error=job.get("error"))
    return render_template("reporting/import_progress.html", campaign_id=campaign_id, job=job)


@bp.route("/<int:campaign_id>/import/status.json")
@allow("admin")
def import_status(campaign_id: int):
    job = values_import_jobs.status(campaign_id, current_user)
    return jsonify({k: v for k, v in job.items() if k in ("status", "phase", "percent", "read", "saved", "total")})


@bp.route("/entries/<int:entry_id>/clarify", methods=["POST"])
@allow("admin")
def clarify(entry_id: int):
    form = ClarifyForm()
    if form.validate_on_submit():
        entries_svc.request_clarification(entry_id, current_user, form.code_list(), form.message.data)
        flash(_("Đã gửi yêu cầu giải trình cho đơn vị."), "success")
    else:
        flash(_("Hãy nhập nội dung yêu cầu giải trình."), "danger")
    return redirect(request.referrer or url_for("reporting.index"), code=303)
