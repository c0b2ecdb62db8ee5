"""Error pages: friendly, bilingual, and never a stack trace."""
from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from campaign.services.errors import DomainError

from .extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


# A JSON error names its kind with a stable code (as the API's own errors do); the message is the reader's.
_JSON_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 413: "too_large",
               422: "unprocessable", 429: "too_many_requests", 500: "server_error"}


def register(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        if _wants_json():
            return {"error": _JSON_CODES.get(status, "error"), "title": title, "message": message}, status
        return render_template("errors/error.html", status=status, title=title, message=message), status

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Không có quyền truy cập"), _("Bạn không có quyền xem hoặc thay đổi nội dung này."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Không tìm thấy"), _("Trang hoặc dữ liệu bạn tìm không tồn tại."))

    @app.errorhandler(413)
    def too_large(_e):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        msg = _("Tệp gửi lên quá lớn: tối đa %(mb)s MB cho một lần gửi. Bản nháp của bạn vẫn được giữ.", mb=limit_mb)
        if not _wants_json() and request.referrer:
            flash(msg, "danger")
            return redirect(request.referrer, code=303)
        return page(413, _("Tệp quá lớn"), msg)

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        msg = _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng gửi lại.")
        return page(400, _("Biểu mẫu hết hạn"), msg)

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        db.session.rollback()
        return page(e.status, _("Không thực hiện được"), e.message)

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return page(500, _("Lỗi hệ thống"), _("Đã có lỗi xảy ra. Dữ liệu của bạn chưa bị thay đổi; vui lòng thử lại."))
