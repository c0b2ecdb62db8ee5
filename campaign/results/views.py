"""Routes of the 'results' feature (blueprint `results`, under /admin/results).

Commission pages: freshness and progress of the provisional result, ranked table with an
explanation per unit, publishing (final and mid-term), what-if preview and exports. The viewer
role reads a part of them (campaign/services/results/review.py says which).
"""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from campaign.services.errors import DomainError, NotFound
from campaign.services.results import publish_check, review
from campaign.services.setup.framework_cache import framework_info

from ..access import allow
from ..templating import framework_nodes
from ..web import attachment
from . import explain_words
from .forms import ExportQuery, PublishForm, RecomputeForm, TableQuery, WhatIfForm

bp = Blueprint("results", __name__, url_prefix="/admin/results")


@bp.route("/")
@allow("admin", "viewer")
def index():
    return render_template("results/index.html", rows=review.campaigns_overview(current_user.role))


@bp.route("/<int:campaign_id>")
@allow("admin", "viewer")
def campaign(campaign_id: int):
    query = TableQuery(request.args)
    query.validate()  # a bad level or page is ignored (first level, first page)
    data = review.results_page(campaign_id, current_user.role, level=query.level.data,
                               page=query.page.data or 1)
    return render_template("results/campaign.html", data=data, c=data.campaign, run=data.run,
                           publish_form=PublishForm(), recompute_form=RecomputeForm())


@bp.route("/<int:campaign_id>/status.json")
@allow("admin", "viewer")
def status(campaign_id: int):
    return jsonify(review.status(campaign_id, current_user.role))


@bp.route("/<int:campaign_id>/recompute", methods=["POST"])
@allow("admin")
def recompute_now(campaign_id: int):
    if RecomputeForm().validate_on_submit():
        if review.request_recompute(campaign_id):
            flash(_("Đã yêu cầu tính lại kết quả tạm tính."), "info")
        else:
            flash(_("Hàng đợi đang tạm dừng; kết quả sẽ được tính lại khi hệ thống hoạt động trở lại."), "warning")
    return redirect(url_for("results.campaign", campaign_id=campaign_id), code=303)


def _publish(campaign_id: int, kind: str):
    """First request: the confirmation (what will happen); the confirmed one publishes."""
    form = PublishForm()
    back = redirect(url_for("results.campaign", campaign_id=campaign_id), code=303)
    if not form.validate_on_submit():
        flash(_("Biểu mẫu không hợp lệ, vui lòng thử lại."), "danger")
        return back
    label = form.label.data or ""
    try:
        if not form.confirmed.data:
            return render_template("results/confirm_publish.html", p=publish_check.preview(campaign_id, kind),
                                   form=PublishForm(formdata=None), label=label)
        queued = publish_check.publish_confirmed(campaign_id, current_user.id, kind, label)
    except DomainError as exc:
        flash(exc.message, "danger")
        return back
    flash(_("Đang công bố kết quả; bản công bố sẽ xuất hiện sau ít giây.") if queued else _("Đã công bố kết quả."),
          "success")
    return back


@bp.route("/<int:campaign_id>/publish", methods=["POST"])
@allow("admin")
def publish(campaign_id: int):
    return _publish(campaign_id, "snapshot")


@bp.route("/<int:campaign_id>/midterm", methods=["POST"])
@allow("admin")
def midterm(campaign_id: int):
    return _publish(campaign_id, "midterm")


@bp.route("/<int:campaign_id>/runs/<int:run_id>/units/<int:unit_id>")
@allow("admin")
def explain(campaign_id: int, run_id: int, unit_id: int):
    c, run, unit, data = review.explanation(campaign_id, run_id, unit_id)
    if request.args.get("format") == "json":
        return jsonify(data)
    nodes = framework_nodes(run.framework_version_id or c.framework_version_id)
    locale = str(get_locale())
    scale = getattr(framework_info(run.framework_version_id).fw, "scale", None) if run.framework_version_id else None
    words = {"caps": explain_words.cap_lines(data, nodes, locale, scale),
             "indicators": {i["code"]: explain_words.indicator_note(i, nodes.get(i["code"]))
                            for i in data.get("indicators") or []},
             "interval": explain_words.interval_note(data) if (c.settings or {}).get("show_intervals") else ""}
    return render_template("results/explain.html", c=c, run=run, unit=unit, data=data, words=words)


@bp.route("/<int:campaign_id>/whatif")
@allow("admin")
def whatif(campaign_id: int):
    form = WhatIfForm(request.args)
    asked = bool(request.args) and form.validate()
    preview = review.what_if_preview(campaign_id, form.override() if asked else None)
    return render_template("results/whatif.html", c=preview.campaign, form=form, result=preview.result,
                           error=preview.error)


@bp.route("/<int:campaign_id>/export")
@allow("admin", "viewer")
def export(campaign_id: int):
    query = ExportQuery(request.args)
    if not query.validate():
        raise NotFound(_("Chưa có kết quả để xuất.")) if query.run.errors else DomainError(_("Định dạng xuất không hợp lệ."))
    content, filename, mimetype = review.export(campaign_id, current_user.role, query.format.data, query.run.data)
    return attachment(content, filename, mimetype)
