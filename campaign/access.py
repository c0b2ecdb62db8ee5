"""Who may use each route, declared next to the route and enforced in one place.

Every view carries an ``@allow(...)`` declaration; ``enforce_access`` (a before_request
hook) refuses any endpoint without one, so a new route that forgets to declare its
audience fails closed, and tests can enumerate the whole table from ``app.url_map``.
Object-level checks (an officer's own unit, a judge's assignments) live in the services.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

PUBLIC = "public"  # anyone, no login
ANY_USER = "any"  # any logged-in user
F = TypeVar("F", bound=Callable)


def allow(*audience: str) -> Callable[[F], F]:
    """Declare the roles (or PUBLIC / ANY_USER) that may call the decorated view."""

    def mark(view: F) -> F:
        view._thidua_access = frozenset(audience)  # type: ignore[attr-defined]
        return view

    return mark


def access_of(endpoint: str) -> frozenset[str] | None:
    """The audience declared for an endpoint (None: undeclared, refused)."""
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "_thidua_access", None)


def enforce_access() -> ResponseReturnValue | None:
    """before_request: refuse undeclared routes, send anonymous users to the login, 403 other roles."""
    if request.endpoint is None:
        return None  # 404 handled by Flask
    audience = access_of(request.endpoint)
    if audience is None:
        abort(403)
    if PUBLIC in audience:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if ANY_USER in audience or current_user.role in audience:
        return None
    abort(403)
