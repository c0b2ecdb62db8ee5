"""Rescaling when a declared part is not assessed (issue 16): "quy về thang điểm 100".

A node with ``na_allowed: true`` and ``rescale: true`` that a unit marks not applicable scores 0
(not full points); the entry's regular part is then put back on the scale:

    regular = round(Σ regular groups × scale ÷ (scale − Σ max_points of the parts marked), 1e-9 grid)

clamped at ``scale`` as usual; bonus and penalty groups are added afterwards, unscaled. The
per-entry engine and the campaign computation call the same functions here, so both agree.
Pure.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from .framework import Framework, Node
from .rules import is_na, round_points


def rescale_nodes(fw: Framework) -> list[Node]:
    """The framework's nodes declared ``rescale: true`` (validation: regular, na_allowed, not nested)."""
    return [n for n in fw.walk() if n.rescale]


def parts_marked(fw: Framework, values: Mapping[str, object]) -> tuple[str, ...]:
    """Codes of the rescale nodes this unit marked not applicable."""
    return tuple(n.code for n in rescale_nodes(fw) if is_na(values.get(n.code)))


def leaves_under(fw: Framework, parts: Iterable[str]) -> dict[str, str]:
    """Indicator code -> the marked part above it."""
    wanted = set(parts)
    out: dict[str, str] = {}
    for n in fw.walk():
        if n.code in wanted:
            for leaf in n.walk():
                if leaf.is_indicator:
                    out.setdefault(leaf.code, n.code)
    return out


def removed_max(fw: Framework, parts: Iterable[str]) -> float:
    nodes = {n.code: n for n in fw.walk()}
    return round_points(sum(nodes[p].max_points for p in parts))


def rescaled(regular_sum: float, scale: float, removed: float) -> float:
    """The regular part put back on the scale (unchanged when nothing was removed or nothing is left)."""
    if removed <= 0 or scale - removed <= 0:
        return regular_sum
    return round_points(regular_sum * scale / (scale - removed))


def note(fw: Framework, parts: tuple[str, ...], before: float, after: float) -> dict | None:
    """The explanation's ``rescaled`` entry."""
    if not parts:
        return None
    removed = removed_max(fw, parts)
    return {"parts": list(parts), "removed_max": removed, "scale": fw.scale, "before": before, "after": after,
            "factor": None if fw.scale - removed <= 0 else fw.scale / (fw.scale - removed)}




def campaign_rows(fw: Framework, compiled, sums, values_by_row: Mapping[int, Mapping[str, object]],
                  skip: Iterable[int] = ()) -> dict[int, dict]:
    """Rows the per-node sums cannot give, refigured for the campaign computation as ``score_entry`` does:
    parts not assessed (rescaling) and bonus groups with ``stacking: max`` (the largest item only).

    ``sums``: units × leaf parents (the recompute's per-node sums, where the stored N/A rows of a
    part count full points and a bonus group holds the sum of its items); the part's columns are
    zeroed, a max-stacking group's column becomes its largest item's rule points (from the values),
    the tree is walked again and the regular part rescaled. Returns row -> {total, regular, bonus,
    penalty, nodes (code -> points), caps, rescaled}.
    """
    import numpy as np

    from .rules import clamp_round, indicator_points
    from .vector import leaf_parents, tree_totals

    stack_max = [g for g in fw.groups if g.stacking == "max"]
    if not rescale_nodes(fw) and not stack_max:
        return {}
    skipped = set(skip)
    cols = leaf_parents(compiled)
    out: dict[int, dict] = {}
    for i, values in values_by_row.items():
        if i in skipped:
            continue
        parts = parts_marked(fw, values)
        row = np.asarray(sums[i], dtype=float).copy()
        changed = bool(parts)
        under = {n.code for p in parts for n in next(x for x in fw.walk() if x.code == p).walk()}
        for k, code in enumerate(cols):
            if code in under:
                row[k] = 0.0
        for g in stack_max:
            best = round_points(max((indicator_points(c, values.get(c.code)).points for c in g.children), default=0.0))
            k = cols.index(g.code)
            if row[k] != best:
                row[k], changed = best, True
        if not changed:
            continue
        tt = tree_totals(compiled, row[None, :])
        before = float(tt.regular_raw[0])
        after = rescaled(before, fw.scale, removed_max(fw, parts))
        regular = clamp_round(after, -float("inf"), fw.scale)
        bonus, penalty = float(tt.bonus[0]), float(tt.penalty[0])
        raw_total = round_points(0.0 + regular + bonus + penalty)
        total = clamp_round(raw_total, 0.0, fw.scale + fw.bonus_cap_total)
        caps = [c.code for c in compiled.nodes if tt.node_points[c.code][0] != tt.node_raw[c.code][0]]
        caps += ["SCALE"] * (regular != after) + ["TOTAL"] * (total != raw_total)
        out[i] = {"total": total, "regular": regular, "bonus": bonus, "penalty": penalty,
                  "nodes": {c: float(v[0]) for c, v in tt.node_points.items()}, "caps": caps,
                  "rescaled": note(fw, parts, before, after)}
    return out

__all__ = ["campaign_rows", "leaves_under", "note", "parts_marked", "removed_max", "rescale_nodes", "rescaled"]
