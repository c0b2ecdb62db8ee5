"""A result row's explanation as stored (only what the row and its run cannot give back) and in full.

:func:`scoring.campaign.compute_campaign` gives each row its full explanation (``"v": 2``). Every
recompute that moves every total (z-scores, a settings change) rewrites every row, so the stored
form leaves out what is exactly rebuilt from the row's columns and the run's settings (issue 18):
the totals, status and band (columns), the group scores (``group_scores``), the aggregation and
tie-break settings and weights (``ScoreRun.settings``), the rank and ties (columns), the format's
constants and the keys whose value is None. Such a row is marked ``"v": 3``; :func:`full` gives
back the ``"v": 2`` explanation, equal key for key and in the same order. A key is left out only
when its value is the very one the rebuild gives; anything else is kept as computed.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scoring.rules import SHOWN_DECIMALS

COMPACT = 3
# compute_campaign's keys, in its order; results_explanation's keys follow "award", then these:
_HEAD = ("v", "entry", "status", "decimals", "total", "total_exact", "own_total", "regular_total", "bonus_total",
         "penalty_total", "groups", "group_pcts", "caps_applied", "aggregation", "judged_indicators", "judged",
         "overrides", "rollup", "rank", "band", "award")
_TAIL = ("rescaled", "weights")
_NONE_LEFT_OUT = frozenset(("group_pcts", "overrides", "rollup", "award", "rescaled"))
_FROM_ROW = {"status": "status", "total": "total", "own_total": "own_total", "band": "band", "groups": "group_scores"}
_RANK_KEYS = ["rank", "tied", "decided_by", "rank_in_cluster", "tied_in_cluster", "decided_by_in_cluster", "tie_breaks"]
_RANK_KEPT = ("decided_by", "tied_in_cluster", "decided_by_in_cluster")  # the rest: columns and settings


def _same(a: Any, b: Any) -> bool:
    return a is b or (type(a) is type(b) and a == b)


def aggregation(settings: Mapping[str, Any]) -> dict:
    """The explanation's ``aggregation`` (as :func:`scoring.campaign.compute_campaign` writes it)."""
    return {"method": settings.get("aggregation", "mean"), "normalise": bool(settings.get("normalise")),
            "trim_min_judges": settings.get("trim_min_judges", 3)}


def compact_rows(rows: list[dict], settings: Mapping[str, Any]) -> list[dict]:
    """The rows as they are stored: each full explanation in its compact form (a new dict per row)."""
    agg = aggregation(settings)
    tie_breaks = list(settings.get("tie_breaks") or [])
    weights = dict(settings.get("weights") or {})
    out = []
    for r in rows:
        e = r["explanation"]
        if not isinstance(e, dict) or e.get("v") != 2:
            out.append(r)
            continue
        c = dict(e)  # a C-level copy, then the keys the rebuild gives back are dropped
        c["v"] = COMPACT
        for k, col in _FROM_ROW.items():
            if k in c and _same(c[k], r[col]):
                del c[k]
        for k in _NONE_LEFT_OUT:
            if k in c and c[k] is None:
                del c[k]
        if c.get("entry", 0) is (r["entry_id"] is not None):
            del c["entry"]
        if _same(c.get("decimals"), SHOWN_DECIMALS):
            del c["decimals"]
        if c.get("aggregation") == agg:
            del c["aggregation"]
        if weights and c.get("weights") == weights:
            del c["weights"]
        v = c.get("rank")
        if (isinstance(v, dict) and list(v) == _RANK_KEYS and _same(v["rank"], r["rank"]) and _same(v["tied"], r["tied"])
                and _same(v["rank_in_cluster"], r["rank_in_cluster"]) and v["tie_breaks"] == tie_breaks):
            c["rank"] = {x: v[x] for x in _RANK_KEPT}
        out.append({**r, "explanation": c})
    return out


def full(stored: dict | None, row: Any, settings: Mapping[str, Any]) -> dict:
    """The full explanation of a stored row (``row``: its columns as attributes; ``settings``: its run's)."""
    if not isinstance(stored, dict) or stored.get("v") != COMPACT:
        return dict(stored or {})
    from_row = {"entry": row.entry_id is not None, "decimals": SHOWN_DECIMALS, "aggregation": aggregation(settings),
                **{k: getattr(row, col) for k, col in _FROM_ROW.items()}}
    out: dict[str, Any] = {"v": 2}
    for k in _HEAD[1:]:
        if k == "rank" and isinstance(stored.get(k), dict) and "tie_breaks" not in stored[k]:
            kept = stored[k]
            out[k] = {"rank": row.rank, "tied": row.tied, "decided_by": kept["decided_by"],
                      "rank_in_cluster": row.rank_in_cluster, "tied_in_cluster": kept["tied_in_cluster"],
                      "decided_by_in_cluster": kept["decided_by_in_cluster"],
                      "tie_breaks": list(settings.get("tie_breaks") or [])}
        elif k in stored:
            out[k] = stored[k]
        elif k in from_row:
            out[k] = from_row[k]
        elif k in _NONE_LEFT_OUT:
            out[k] = None
    for k, v in stored.items():
        if k not in _HEAD and k not in _TAIL:
            out[k] = v
    out["rescaled"] = stored.get("rescaled")
    if "weights" in stored:
        out["weights"] = stored["weights"]
    elif settings.get("weights"):
        out["weights"] = dict(settings["weights"])
    return out
