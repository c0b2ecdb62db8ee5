"""Cold-walk findings 4, 5, 11, 14, 15, 17, 18: what a person reads, in their language and number format."""
from __future__ import annotations

import re

from campaign.extensions import db
from campaign.models import AuditLog
from tests.unit_helpers import GOOD, World, open_entry, save


def _save_rows(html: str) -> list[str]:
    return [r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.3" in r or "A.1" in r]


def test_an_untouched_number_typed_back_in_the_other_form_is_not_a_change(app, client, factory):
    world = World(factory)
    client.login("canbo")
    entry_id = open_entry(client, world)
    assert save(client, entry_id, {**GOOD, "A.1": "85,2"}).status_code == 303
    # the form shows "85,2" back; the English page shows "85.2": posting either with only A.3 changed changes A.3 only
    assert save(client, entry_id, {**GOOD, "A.1": "85.2", "A.3": "4"}).status_code == 303
    logs = db.session.query(AuditLog).filter_by(action="entry.save_values").order_by(AuditLog.id).all()
    assert len(logs) == 2
    assert sorted(logs[1].after) == ["A.3"]  # not A.1: 85,2 and 85.2 are the same number
    admin = client.__class__(app.test_client())
    admin.login("hoidong")
    admin.post("/lang/en", data={"next": "/admin/audit"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    first = next(r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.1" in r)
    assert "85.2" in first and "85,2" not in first  # typed "85,2" in Vietnamese, read in English
    assert "1,234.5" in first  # "1.234,5" typed in Vietnamese
    admin.post("/lang/vi", data={"next": "/admin/audit"})
    html = admin.get("/admin/audit").get_data(as_text=True)
    first = next(r for r in re.findall(r'data-testid="audit-row">(.*?)</tr>', html, re.S) if "A.1" in r)
    assert "85,2" in first and "1.234,5" in first


def test_english_search_summary_agrees_with_its_number(client, factory):
    from tests.big_board_helpers import big_board, official_units
    big_board(factory, official_units(["01"]), slug="hn126")
    client.post("/lang/en", data={"next": "/leaderboard"})

    def summary(q: str) -> str:
        html = client.get("/leaderboard", query_string={"campaign": "hn126", "q": q}).get_data(as_text=True)
        return " ".join(re.sub(r"<[^>]+>", "", re.search(r'data-testid="search-summary">(.*?)</p>', html, re.S).group(1)).split())

    assert summary("dong da") == "1 unit matches “dong da”"
    many = summary("phuong")
    assert re.fullmatch(r"\d+ units match “phuong”", many), many
