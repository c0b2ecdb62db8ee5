"""Only admins reach /admin pages; every state-changing form needs a CSRF token."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.admin_helpers import ready_campaign

ADMIN_ENDPOINTS_GET = ["/admin/", "/admin/campaigns", "/admin/campaigns/new", "/admin/frameworks", "/admin/units",
                       "/admin/units/new", "/admin/units/import", "/admin/clusters", "/admin/clusters/new",
                       "/admin/framework-templates/ntm-2016", "/admin/framework-templates/ntm-2016/export.xlsx"]


@pytest.mark.parametrize("role", ["officer", "judge", "viewer"])
def test_non_admins_get_403(client, factory, role):
    unit = factory.unit("urban_district")
    c, _ = ready_campaign(factory)
    factory.user(role, unit=unit if role == "officer" else None, username=f"u-{role}")
    client.login(f"u-{role}")
    urls = ADMIN_ENDPOINTS_GET + [f"/admin/campaigns/{c.id}", f"/admin/campaigns/{c.id}/edit",
                                  f"/admin/campaigns/{c.id}/framework",
                                  f"/admin/framework-versions/{c.framework_version_id}/export.yaml"]
    for url in urls:
        assert client.get(url).status_code == 403, url
    token = client.csrf("/login")
    for url in (f"/admin/campaigns/{c.id}/status", f"/admin/campaigns/{c.id}/clone", "/admin/units/new"):
        assert client.post(url, data={"csrf_token": token, "to": "open"}).status_code == 403, url


def test_anonymous_is_sent_to_login(client):
    r = client.get("/admin/campaigns")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_every_admin_route_declares_admin_only(app):
    from campaign.access import access_of

    with app.test_request_context():
        endpoints = [r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
        assert len(endpoints) >= 25
        for ep in endpoints:
            assert access_of(ep) == frozenset({"admin"}), ep


def test_forms_without_csrf_token_are_refused(client, factory):
    from campaign.extensions import db
    from campaign.models import Campaign

    c, _ = ready_campaign(factory)
    factory.user("admin", username="boss")
    client.login("boss")
    assert client.application.config.get("WTF_CSRF_ENABLED", True)
    for url, data in ((f"/admin/campaigns/{c.id}/status", {"to": "open"}),
                      (f"/admin/campaigns/{c.id}/clone", {}),
                      ("/admin/campaigns/new", {"name": "X", "template_code": "ntm-2016"})):
        r = client.post(url, data=data)
        assert r.status_code in (302, 303, 400), url
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "draft"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
