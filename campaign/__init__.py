"""Application factory for the Thi Đua platform."""
from __future__ import annotations

import importlib
import os
import uuid

from flask import Flask, g, request, session
from flask_login import current_user

from . import access
from .celery_app import celery_init_app
from .clean_input import CleanRequest
from .extensions import babel, csrf, db, login_manager, migrate
from .params import IntConverter
from .services import audit
from .sqlite import configure_sqlite, set_read_only
from .version import __version__  # noqa: F401  (re-exported: campaign.__version__)

BLUEPRINTS = (
    "campaign.main.views",
    "campaign.auth.views",
    "campaign.public.views",
    "campaign.admin.views",
    "campaign.units.views",
    "campaign.unit.views",
    "campaign.reporting.views",
    "campaign.judging.views",
    "campaign.results.views",
    "campaign.api.views",
    "campaign.accounts.views",
)


def create_app(config_object: object | str = "config.DevelopmentConfig", **overrides) -> Flask:
    """Build the app: config, extensions, Celery, blueprints, hooks."""
    app = Flask(__name__, static_folder="../static", template_folder="../templates",
                instance_path=str(_instance_dir()))
    app.request_class = CleanRequest
    app.config.from_object(config_object)
    app.config.update(overrides)
    _ensure_secret_key(app)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops > 0:  # client address and scheme from the reverse proxy's headers (login limits, audit)
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        configure_sqlite(db.engine)

    from .redis_client import init_redis

    init_redis(app)
    celery_init_app(app)
    from . import tasks  # noqa: F401  (registers the shared tasks)

    app.url_map.converters["int"] = IntConverter  # before any route: every <int:…> is bounded
    for module_name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(module_name).bp)

    from . import cli, errors, templating

    cli.register(app)
    errors.register(app)
    templating.register(app)
    _register_hooks(app)
    return app


def _instance_dir() -> str:
    from config import INSTANCE_DIR

    return str(INSTANCE_DIR)


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config.get("REQUIRE_SECRET_KEY"):
        raise RuntimeError(
            "THIDUA_SECRET_KEY must be set in production (a long random string shared by all workers)"
        )
    from config import _development_secret

    app.config["SECRET_KEY"] = _development_secret()


def select_locale() -> str:
    languages = ("vi", "en")
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    # Only a logged-in session can carry a user preference; anonymous requests skip the user load.
    if "_user_id" in session and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    # Vietnamese unless the user picked English: officials expect it whatever the browser says.
    return "vi"


def _register_hooks(app: Flask) -> None:
    @app.before_request
    def _begin_request():
        g.request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex[:16]
        # Safe methods never write, so their SQLite transactions need not take the write lock.
        g._ro_token = set_read_only(request.method in ("GET", "HEAD", "OPTIONS"))
        # The audit service reads who acts from here, never from the request itself.
        g._audit_token = audit.bind_request(audit.RequestMeta(
            request_id=g.request_id, ip=request.remote_addr, actor=_current_actor))

    app.before_request(access.enforce_access)

    @app.after_request
    def _security_headers(response):
        h = response.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-eval'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'self'; form-action 'self'",
        )
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        h["X-Request-Id"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def _end_request(_exc):
        token = g.pop("_ro_token", None)
        if token is not None:
            set_read_only(False)
        audit_token = g.pop("_audit_token", None)
        if audit_token is not None:
            audit.unbind_request(audit_token)


def _current_actor():
    """The logged-in user of the current request (None when anonymous), for audit rows."""
    return current_user._get_current_object() if current_user.is_authenticated else None
