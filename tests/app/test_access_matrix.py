"""Authorization matrix: every registered route × every role behaves as its declaration says.

Routes are enumerated from ``app.url_map``, so a new route is covered automatically. URL
arguments get placeholder values: the audience check runs before the view, so a refused
role must get 403 (or a login redirect) whether or not the object exists.
"""
from __future__ import annotations

import pytest

from campaign.access import ANY_USER, PUBLIC, access_of
from campaign.extensions import db

# Only a display-language preference: forging it harms nobody, and exempting it lets public
# pages be served without a session cookie.
CSRF_EXEMPT = {"auth.set_language"}
ROLES = ("anonymous", "viewer", "officer", "judge", "admin")
PLACEHOLDERS = {"int": "999999", "string": "placeholder", "path": "placeholder", "float": "1.0"}


def _url(rule) -> str:
    url = rule.rule
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__.lower().replace("converter", "")
        value = PLACEHOLDERS.get("int" if converter in ("integer", "int") else "string", "placeholder")
        url = url.replace(f"<{arg}>", value)
        for conv in ("int", "string", "path", "float"):
            url = url.replace(f"<{conv}:{arg}>", value)
    return url


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.parametrize("role", ROLES)
def test_every_route_enforces_its_audience(app, client, factory, role):
    if role != "anonymous":
        unit = factory.unit()
        factory.user(role, unit=unit if role == "officer" else None, username=f"matrix-{role}")
        db.session.commit()
        assert client.login(f"matrix-{role}").status_code == 302
    token = client.csrf("/login")
    problems = []
    for rule, method in _routes(app):
        audience = access_of(rule.endpoint)
        allowed = PUBLIC in audience or (role != "anonymous" and (ANY_USER in audience or role in audience))
        if allowed:
            continue
        url = _url(rule)
        resp = client.open(url, method=method, data={"csrf_token": token})
        expected = (302,) if role == "anonymous" else (403,)
        if resp.status_code not in expected:
            problems.append(f"{method} {url} as {role}: {resp.status_code}")
        if role == "anonymous" and resp.status_code == 302 and "/login" not in resp.headers["Location"]:
            problems.append(f"{method} {url} as anonymous redirects to {resp.headers['Location']}")
    assert problems == []


def test_state_changing_routes_require_csrf(app, client, factory):
    """Every POST route refuses a request without a CSRF token (as admin, who may use most)."""
    factory.user("admin", username="matrix-admin")
    db.session.commit()
    client.login("matrix-admin")
    problems = []
    for rule, method in _routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or rule.endpoint in CSRF_EXEMPT:
            continue
        resp = client.open(_url(rule), method=method, data={"x": "1"})
        if resp.status_code != 400 and resp.status_code != 403:
            problems.append(f"{method} {rule.rule}: {resp.status_code}")
    assert problems == []
