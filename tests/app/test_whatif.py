"""What-if previews come from the same engine as real results: same caps, same tie display."""
from __future__ import annotations

from campaign.extensions import db
from campaign.services.results import recompute
from tests.results_helpers import rich_framework, save_values

FULL = {"I.1": 90.0, "I.2": 12.0, "I.3": True, "I.4": 7.0, "II.1": 7.0, "II.2": "good", "II.3": 4.0,
        "B.1": 4.0, "P.1": 1.0}  # I = 41, II = 42, B = 5, P = −4 → 84 (test_recompute_engine's hand example)


def test_what_if_weights_never_exceed_the_scale_and_ties_are_marked(app, factory, client):
    """Weights I = 3, II = 3: 3 × (41 + 42) = 249 for the regular part, capped at the scale 100;
    total 100 + 5 − 4 = 101,00 for both identical entries, shown tied; the draft is not ranked."""
    doc = rich_framework("fw-whatif")
    a, b, d = factory.unit(), factory.unit(), factory.unit()
    c = factory.campaign(doc=doc, units=[a, b, d])
    for u, status in ((a, "submitted"), (b, "submitted"), (d, "draft")):
        save_values(factory.entry(c, u, status=status), doc, FULL)
    factory.user("admin", username="whatif-admin")
    db.session.commit()
    recompute.recompute_provisional(c.id)
    client.login("whatif-admin")
    resp = client.get(f"/admin/results/{c.id}/whatif?aggregation=mean&weights=I%3D3%2C+II%3D3")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for u in (a, b):
        row = html.split(f'data-testid="whatif-row-{u.id}"', 1)[1].split("</tr>", 1)[0]
        assert "101,00" in row and "đồng hạng" in row
        assert ">1 <span" in row  # rank 1, tied
    draft_row = html.split(f'data-testid="whatif-row-{d.id}"', 1)[1].split("</tr>", 1)[0]
    assert "đồng hạng" not in draft_row and "–" in draft_row
    assert "249" not in html
