"""Every admin page renders for an admin, and links to the main sections."""
from __future__ import annotations

from tests.admin_helpers import admin_client, ready_campaign


def test_dashboard_links_to_sections(client, factory):
    admin_client(client, factory)
    html = client.get("/admin/").get_data(as_text=True)
    for href in ("/admin/campaigns", "/admin/units", "/admin/clusters", "/admin/frameworks"):
        assert f'href="{href}"' in html
    assert 'data-testid="admin-dashboard"' in html


def test_all_admin_pages_render(client, factory):
    c, units = ready_campaign(factory)
    admin_client(client, factory)
    cluster_page = client.get("/admin/clusters/new")
    assert cluster_page.status_code == 200
    for url in ("/admin/", "/admin/campaigns", "/admin/campaigns?archived=1", "/admin/campaigns/new",
                f"/admin/campaigns/{c.id}", f"/admin/campaigns/{c.id}/edit", f"/admin/campaigns/{c.id}/participants",
                f"/admin/campaigns/{c.id}/framework", "/admin/frameworks", "/admin/framework-templates/ntm-2016",
                "/admin/units", "/admin/units/new", f"/admin/units/{units[0].id}/edit", "/admin/units/import",
                "/admin/clusters"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.get_data(as_text=True)[:2000])
