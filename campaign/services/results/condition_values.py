"""The stored values a framework's conditions test (and its rescale parts' N/A marks), for the recompute (issue 16).

Conditions (:mod:`scoring.conditions`) test a unit's raw values, not points, so neither the
ledger nor the per-node sums carry them: one set-based read of the few indicators the
conditions name (and the nodes above them, whose "not applicable" mark reaches them) gives the
engine the same values the per-entry :func:`scoring.entry.score_entry` sees.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from campaign.models import Entry, IndicatorValue
from campaign.services.results.fastsql import fetch
from campaign.services.setup.framework_cache import FrameworkInfo
from scoring.rules import NA


def tested_codes(info: FrameworkInfo) -> set[str]:
    """Codes whose stored values the conditions need: the tested indicators and their ancestors."""
    fw = info.fw
    wanted = {t.indicator for c in getattr(fw, "conditions", ()) for t in c.tests}
    wanted |= {n.code for n in fw.walk() if n.rescale}  # a part marked not assessed rescales the total
    wanted |= {c.code for g in fw.groups if g.stacking == "max" for c in g.children}  # only the largest bonus counts
    if not wanted:
        return set()
    out: set[str] = set()

    def visit(n, path: tuple[str, ...]) -> None:
        if n.code in wanted:
            out.update(path + (n.code,))
        for ch in n.children:
            visit(ch, path + (n.code,))

    for g in fw.groups:
        visit(g, ())
    return out


def read(campaign_id: int, info: FrameworkInfo, entry_ids: list) -> dict[int, dict[str, Any]]:
    """Unit row -> {code: raw value} of the tested indicators (``NA`` for a not-applicable mark)."""
    codes = tested_codes(info)
    if not codes:
        return {}
    ids = [nid for nid, code in info.node_code.items() if code in codes]
    nodes = {n.code: n for n in info.fw.walk()}
    row_of_entry = {e: i for i, e in enumerate(entry_ids) if e is not None}
    out: dict[int, dict[str, Any]] = {}
    for eid, nid, is_na_flag, vnum, vtext in fetch(
            sa.select(IndicatorValue.entry_id, IndicatorValue.indicator_id, IndicatorValue.is_na,
                      IndicatorValue.value_num, IndicatorValue.value_text)
            .join(Entry, Entry.id == IndicatorValue.entry_id)
            .where(Entry.campaign_id == campaign_id, IndicatorValue.indicator_id.in_(ids))):
        i = row_of_entry.get(eid)
        code = info.node_code.get(nid)
        if i is None or code is None:
            continue
        node = nodes[code]
        if is_na_flag:
            value: Any = NA
        elif node.rule is not None and node.rule.kind == "yes_no" and vnum is not None:
            value = bool(vnum)
        else:
            value = vnum if vnum is not None else vtext
        out.setdefault(i, {})[code] = value
    return out


__all__ = ["read", "tested_codes"]
