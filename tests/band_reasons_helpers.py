"""Consistency check of published results as a visitor reads them (API values + rendered board).

Every unit's band, rank and "not submitted" status must agree with its displayed total, its
group percentages and the campaign's declared rules (bands from the campaign settings, group
maxima and floors from its framework). The expected band is computed here by a separate,
deliberately plain reading of the rules in docs/framework-format.md — not by the engine.
"""
from __future__ import annotations

import html as html_lib
import re

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Campaign, FrameworkVersion, ScoreRun

LEVELS = {"district": 2, "commune": 3}


def declared_rules(slug: str) -> tuple[list[dict], list[dict]]:
    """(bands, top-level groups) as the campaign declares them, read straight from the database."""
    camp = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    run = db.session.scalar(sa.select(ScoreRun).where(ScoreRun.campaign_id == camp.id,
                                                      ScoreRun.published_at.is_not(None))
                            .order_by(ScoreRun.published_at.desc(), ScoreRun.id.desc()).limit(1))
    doc = db.session.get(FrameworkVersion, run.framework_version_id or camp.framework_version_id).document
    return list((camp.settings or {}).get("bands") or []), list(doc["groups"])


def expected_band(total: float, group_scores: dict, bands: list[dict], groups: list[dict]) -> str | None:
    """The highest band whose minimum the total reaches and whose floors every regular group meets."""
    for band in sorted(bands, key=lambda b: -float(b["min_total"])):
        if total < float(band["min_total"]):
            continue
        if band.get("floor_pct") is None:
            return band["code"]
        ok = True
        for g in groups:
            if g.get("kind", "regular") != "regular" or not g["max_points"] or g["code"] not in group_scores:
                continue
            floor = g["floor_pct"] if g.get("floor_pct") is not None else band["floor_pct"]
            if round(group_scores[g["code"]] / g["max_points"] * 100, 4) < floor:
                ok = False
        if ok:
            return band["code"]
    return None


def vi_number(x: float) -> str:
    """A figure as the Vietnamese page shows it: 1.234,50."""
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def board_cells(html: str) -> dict[str, dict]:
    """Per unit code: the visible text of the rank, score and band cells, and the band's reason line."""
    out = {}
    for m in re.finditer(r'<tr data-testid="row-([^"]+)"[^>]*>(.*?)</tr>', html, re.S):
        cells = dict(re.findall(r'<td[^>]*data-testid="(rank|score|band)">(.*?)</td>', m.group(2), re.S))
        reason = re.findall(r'data-testid="band-reason">(.*?)</div>', cells.get("band", ""), re.S)

        def text(s: str) -> str:
            return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", s))).strip()

        badge = re.sub(r'<div[^>]*data-testid="band-reason".*?</div>', "", cells.get("band", ""), flags=re.S)
        out[m.group(1)] = {"rank": text(cells.get("rank", "")), "score": text(cells.get("score", "")),
                           "band": text(badge), "reason": text(reason[0]) if reason else ""}
    return out


def board_rows(client, url: str) -> dict[str, dict]:
    """Every row of a public board as a visitor reads it, following the pager page by page."""
    cells: dict[str, dict] = {}
    for number in range(1, 500):
        html = client.get(f"{url}&page={number}", headers={"Accept-Language": "vi"}).get_data(as_text=True)
        rows = board_cells(html)
        if not rows or set(rows) <= set(cells):
            break
        cells.update(rows)
    return cells


def check_published(client, slug: str) -> dict:
    """Check every level of the campaign's current publication.

    Returns counts: units checked, of which banded below what the total alone would give (a floor).
    """
    bands, groups = declared_rules(slug)
    labels = {b["code"]: (b.get("label") or {}).get("vi") for b in bands}
    checked = floored = 0
    for level in LEVELS:
        rows, url = [], f"/api/v1/campaigns/{slug}/leaderboard?level={level}&per_page=500"
        while url:  # the API is paged (issue 18): every page
            body = client.get(url).get_json()
            rows, url = rows + body["rows"], body["paging"]["next"]
        if not rows:
            continue
        cells = board_rows(client, f"/leaderboard?campaign={slug}&level={level}")
        ranked = [r for r in rows if r["status"] == "ranked"]
        for row in rows:
            shown = cells[row["unit_code"]]
            where = f"{slug}/{level}/{row['unit_code']}"
            if row["status"] == "not_submitted":
                assert row["rank"] is None and row["band"] is None, where
                assert shown["rank"] == "–" and shown["score"] == "–" and shown["band"] == "Chưa nộp", (where, shown)
                continue
            total = row["score"]
            assert shown["score"] == vi_number(total), (where, shown)
            want = expected_band(total, row["group_scores"], bands, groups)
            assert row["band"] == want, (where, total, row["group_scores"], row["band"], want)
            if want is not None and labels.get(want):
                assert shown["band"] == labels[want], (where, shown)
            # competition ranking: after everyone with a higher total, at most among the equal ones
            higher = sum(1 for r in ranked if r["score"] > total)
            equal = sum(1 for r in ranked if r["score"] == total)
            assert higher + 1 <= row["rank"] <= higher + equal, (where, row["rank"], higher, equal)
            assert shown["rank"].startswith(str(row["rank"])), (where, shown)
            # the reason shown next to the band names the displayed total, and a floor whenever the
            # total alone would have earned a higher band
            by_total = next((b["code"] for b in sorted(bands, key=lambda b: -float(b["min_total"]))
                             if total >= float(b["min_total"])), None)
            if bands:
                assert vi_number(total) in shown["reason"], (where, shown)
            if by_total != want:
                floored += 1
                assert "dưới mức sàn" in shown["reason"], (where, shown)
                missed = next(m for m in row["band_reason"]["missed"] if m["total_reached"])
                assert missed["band"] == by_total and missed["failed_floors"], (where, row["band_reason"])
                for f in missed["failed_floors"]:
                    g = next(g for g in groups if g["code"] == f["group"])
                    assert f["pct"] == round(row["group_scores"][g["code"]] / g["max_points"] * 100, 4)
                    assert f["pct"] < f["floor_pct"]
                    assert f"nhóm {f['group']} đạt" in shown["reason"], (where, shown)
            checked += 1
    return {"checked": checked, "floored": floored}
