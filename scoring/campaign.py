"""A whole campaign's result from its inputs: totals, roll-up, ranks, bands, awards, explanations.

This is THE campaign computation: the recompute service reads the inputs from the database
into :class:`CampaignInputs`, calls :func:`compute_campaign` and writes the rows; what-if
previews call it with other settings. It is pure (numpy and plain values) and is tested
directly against the per-entry engine :func:`scoring.entry.score_entry`.

Rules (``docs/framework-format.md``, results section):

* Precision: every figure is kept on the 1e-9 grid and rounded ONCE, to two decimals
  (:data:`scoring.rules.SHOWN_DECIMALS`), as shown. Ranks, ties, bands, floors and awards
  compare the shown figures, so two units showing the same total are tied.
* Only submitted entries compete (``submitted``: the entry left the draft state). A unit
  without a submitted entry is ``not_submitted``: no rank, no band, no award; its row still
  carries the draft's figures for the commission's provisional view.
* Roll-up (``settings["rollup"]``): a district with communes among the participants gets the
  roll-up of its communes' shown totals (a commune that did not submit counts 0 and does not
  meet the standard) and, for ``combined``, its own part. Its group scores are the same
  roll-up applied group by group (none for ``share_meeting``), so bands and their floors apply
  to the roll-up as to any unit; the explanation carries the decomposition.
* Units in no cluster get no cluster rank and no award; awards go to the top of each cluster.
* Normalised judging (z-scores): one judge's changed mark moves that judge's statistics, hence
  every unit's exact total by a hair, while the figures as shown, ranks and bands of nearly all
  units stay. So a row keeps the figures as shown and its entry's marks hash, not its exact
  total (``total_exact``): only the rows whose shown figures move are rewritten. A roll-up,
  rescaled or overridden row keeps its exact figures, as without z-scores.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .band_reasons import group_percentages
from .band_specs import engine_bands
from .campaign_ranks import award_proposals, bands_by_arrays, group_codes, group_percentage_columns, tie_matrix
from .campaign_rollups import district_rollups, kids_hash, none_mask
from .condition_eval import criteria_met, criteria_nodes
from .condition_eval import evaluate as evaluate_conditions
from .conditions import band_note, results_explanation
from .conditions import effects as condition_effects
from .entry import score_entry
from .framework import Framework
from .ranking import Band, allowed_bands, band_ok, rank_arrays, rank_order, tie_break_name
from .rescale import campaign_rows as rescale_rows
from .rules import SHOWN_DECIMALS
from .signatures import list_text, row_signatures, text_hash
from .vector import CompiledRules, quantise, tree_totals
from .vector import shown as shown_array

RANKED, NOT_SUBMITTED = "ranked", "not_submitted"
# Bump when a row's dict changes shape for the same figures: stored rows then all differ and are rewritten.
ROW_FORMAT = 2


@dataclass(frozen=True)
class OverriddenEntry:
    """An entry with council overrides, scored exactly by :func:`score_entry` (rare)."""

    values: Mapping[str, Any]
    judged: Mapping[str, float]
    overrides: Mapping[str, float]
    reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignInputs:
    """Everything a campaign's result depends on, one row per participating unit.

    ``points``/``judged``/``low``/``high``/``spread`` are units × leaf parents
    (:func:`scoring.vector.leaf_parents`): each node's own indicators' effective points, how
    many were judged, the sums at the judges' lowest/highest marks and the widest spread.
    """

    fw: Framework
    compiled: CompiledRules
    settings: Mapping[str, Any]
    unit_ids: Sequence[int]
    entry_ids: Sequence[int | None]
    submitted: Sequence[bool]
    levels: Sequence[int]
    parents: Sequence[int | None]
    populations: Sequence[float | None]
    clusters: Sequence[int | None]
    unit_codes: Sequence[str]
    self_totals: Sequence[float | None]
    first_submitted: Sequence[float | None]  # epoch seconds
    points: np.ndarray
    judged: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    spread: np.ndarray | None = None
    overridden: Mapping[int, OverriddenEntry] = field(default_factory=dict)  # row -> entry
    judged_detail: Mapping[int, dict] = field(default_factory=dict)  # row -> normalised judges' detail
    # z-scores: per row the number its judged detail ``{"marks": 16 hex digits}`` holds (0: none), when
    # every detail is only that (the signatures then need no pass over the details)
    marks_hashes: np.ndarray | None = None
    # row -> raw values of the indicators the framework's conditions test (and N/A marks above them)
    condition_values: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


@dataclass
class CampaignResult:
    """One dict per unit, keyed like the result table's columns (``explanation`` included), built on
    demand: ``signatures[i]`` says whether row ``i`` differs from a stored one without building it."""

    size: int
    build_row: Callable[[int], dict]
    signatures_of: Callable[[], np.ndarray]  # int64, one per row (scoring.signatures); see ``signatures``
    _rows: list[dict] | None = field(default=None, repr=False)
    _signatures: np.ndarray | None = field(default=None, repr=False)

    @property
    def signatures(self) -> np.ndarray:
        """Every row's signature, computed once and only when asked (a what-if preview never needs them)."""
        if self._signatures is None:
            self._signatures = self.signatures_of()
        return self._signatures

    @property
    def rows(self) -> list[dict]:
        """Every row (built once)."""
        if self._rows is None:
            self._rows = [self.build_row(i) for i in range(self.size)]
        return self._rows

    def rows_at(self, indices: Sequence[int]) -> list[dict]:
        """The rows at these positions only."""
        return [self.build_row(i) for i in indices]


def group_pcts(group_points: Mapping[str, float], fw: Framework) -> dict[str, float]:
    """Shown points of each top-level regular group as a % of its maximum (4 decimals), for floors.

    One implementation with the published rows' explanation: :func:`scoring.band_reasons.group_percentages`.
    """
    return group_percentages(group_points, ((g.code, g.kind, g.max_points) for g in fw.groups))


def _weighted(compiled: CompiledRules, group_exact: Mapping[str, np.ndarray], weights: Mapping[str, Any], n: int) -> np.ndarray:
    """What-if totals with group weights: the regular part still capped at the scale, the total at its range.

    Element-wise the scalar rule ``min(max(raw, 0.0), cap)``; the ``where``s keep Python's min/max
    choice between equals (the first), so a −0.0 stays as it was.
    """
    part = {"regular": np.zeros(n), "bonus": np.zeros(n), "penalty": np.zeros(n)}
    for code, kind in compiled.groups:
        part[kind] = part[kind] + group_exact[code] * float(weights.get(code, 1.0))
    reg = quantise(part["regular"])
    regular = np.where(compiled.scale < reg, compiled.scale, reg)
    raw = quantise(regular + part["bonus"] + part["penalty"])
    raw = np.where(raw < 0.0, 0.0, raw)
    cap = compiled.scale + compiled.bonus_cap_total
    return np.where(cap < raw, cap, raw)


def compute_campaign(inp: CampaignInputs, on_progress: Callable[[float, str], None] | None = None) -> CampaignResult:
    """Every unit's result row (without database ids) from the campaign's inputs.

    Columns stay numpy arrays (no per-unit Python objects): the writer reads the signatures and
    builds only the rows that moved (issue 18).
    """
    settings, comp, fw = inp.settings, inp.compiled, inp.fw
    n = len(inp.unit_ids)
    weights = settings.get("weights") or {}
    tt = tree_totals(comp, inp.points)
    if on_progress:
        on_progress(0.6, "totals")
    low = high = None
    if settings.get("show_intervals") and inp.judged.any() and inp.low is not None and inp.high is not None:
        low, high = shown_array(tree_totals(comp, inp.low).total), shown_array(tree_totals(comp, inp.high).total)

    groups = [g for g, _k in comp.groups]
    group_exact = {g: np.array(tt.node_points[g], dtype=float) for g in groups}  # (copies: patched below)
    exact = np.array(tt.total, dtype=float)
    regular, bonus, penalty = (np.array(a, dtype=float) for a in (tt.regular, tt.bonus, tt.penalty))
    caps: dict[int, list[str]] = {}
    for node in comp.nodes:
        for i in np.nonzero(tt.node_points[node.code] != tt.node_raw[node.code])[0].tolist():
            caps.setdefault(i, []).append(node.code)
    for i in np.nonzero(tt.regular != tt.regular_raw)[0].tolist():
        caps.setdefault(i, []).append("SCALE")
    for i in np.nonzero(tt.total != tt.raw_total)[0].tolist():
        caps.setdefault(i, []).append("TOTAL")
    n_judged = inp.judged.sum(axis=1).astype(int)
    threshold = settings.get("disagreement_threshold")
    flagged = np.zeros(n, dtype=bool)
    if threshold is not None and inp.spread is not None:
        over = np.asarray(inp.spread, dtype=float) > float(threshold)
        flagged = np.asarray(over.any(axis=1), dtype=bool).reshape(n)

    override_expl: dict[int, dict] = {}
    patched: dict[int, dict[str, float]] = {}  # row -> every node's points, where not the tree's (overrides, rescaling)
    rescaled_of: dict[int, dict] = {}
    for i, r in rescale_rows(fw, comp, inp.points, inp.condition_values, inp.overridden).items():
        exact[i], regular[i], bonus[i], penalty[i], caps[i] = r["total"], r["regular"], r["bonus"], r["penalty"], r["caps"]
        for g in groups:
            group_exact[g][i] = r["nodes"][g]
        patched[i] = r["nodes"]
        if r["rescaled"]:  # (a row refigured for bonus stacking only has no rescaling)
            rescaled_of[i] = r["rescaled"]
    for i, oe in inp.overridden.items():
        es = score_entry(fw, {**oe.values, **inp.condition_values.get(i, {})}, dict(oe.judged), dict(oe.overrides))
        exact[i] = es.total
        regular[i], bonus[i], penalty[i] = es.regular_total, es.bonus_total, es.penalty_total
        for g in groups:
            group_exact[g][i] = es.groups[g].points
        caps[i] = list(es.caps_applied)
        override_expl[i] = {"values": es.overrides, "reasons": dict(oe.reasons)}
        patched[i] = {c: g.points for c, g in es.groups.items()}
        if es.rescaled:
            rescaled_of[i] = es.rescaled
    if weights:
        exact = _weighted(comp, group_exact, weights, n)
    has_entry = ~none_mask(inp.entry_ids)
    own = exact  # a row's own total where it has an entry (None elsewhere)
    exact = np.where(has_entry, exact, 0.0)
    ranked = np.fromiter((bool(s) for s in inp.submitted), dtype=bool, count=n) & has_entry
    if on_progress:
        on_progress(0.7, "rollup")

    # Everything below compares the figures as shown (districts' figures: refigured after their roll-up).
    totals = shown_array(exact)
    group_shown = {g: shown_array(group_exact[g]) for g in groups}
    rollups = district_rollups(inp, exact, own, ranked, groups, group_exact, totals, group_shown)
    for d, r in rollups.items():
        exact[d] = r["total"]
        ranked[d] = True  # its result is its communes' (and own part's) roll-up
        for g in groups:
            group_exact[g][d] = r["groups"].get(g, 0.0)
    if rollups:
        rows = np.fromiter(rollups, dtype=np.int64, count=len(rollups))
        totals[rows] = shown_array(exact[rows])
        for g in groups:
            group_shown[g][rows] = shown_array(group_exact[g][rows])
    pen_shown = shown_array(penalty)
    rows_ranked = np.nonzero(ranked)[0]
    rk_a, rk_c = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)  # −1: no rank
    tied_a, tied_c = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    deep_a, deep_c = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    cluster_code = np.full(n, -1, dtype=np.int64)  # per ranked row in a cluster: its (level, cluster)
    tie_names = list(settings.get("tie_breaks") or [])
    if rows_ranked.size:
        sel = rows_ranked
        sc = totals[sel]
        tb = tie_matrix(tie_names, group_shown, pen_shown, inp.first_submitted, sel)
        levels = np.asarray(inp.levels).reshape(n)
        level_codes = group_codes(levels[sel])
        order = rank_order(sc, tb, level_codes)
        rk_a[sel], tied_a[sel], deep_a[sel] = rank_arrays(sc, tb, level_codes, order=order)
        k_in = np.nonzero(~none_mask(inp.clusters)[sel])[0]
        if k_in.size:
            in_cl = sel[k_in]
            cl = np.asarray(np.asarray(inp.clusters, dtype=object).reshape(n)[in_cl].tolist())
            cluster_code[in_cl] = codes = group_codes(levels[in_cl], cl)
            at = np.full(sel.size, -1, dtype=np.int64)
            at[k_in] = np.arange(k_in.size)
            sub = at[order]
            sub = sub[sub >= 0]  # the clustered rows in the levels' order: a cluster is within a level
            rk_c[in_cl], tied_c[in_cl], deep_c[in_cl] = rank_arrays(
                sc[k_in], tb[k_in], codes, order=sub[np.argsort(codes[sub], kind="stable")])
    names_of = {d: tie_break_name(tie_names, d) for d in set(np.unique(deep_a).tolist()) | set(np.unique(deep_c).tolist())}

    bands = engine_bands(settings.get("bands"))
    group_floors = {g.code: g.floor_pct for g in fw.groups if g.floor_pct is not None}
    floors = any(b.has_floors for b in bands)
    band_idx = np.full(n, -1, dtype=np.int64)  # index in ``bands``, −1: none

    def pcts_of(i: int) -> dict[str, float]:
        """Row ``i``'s group percentages, for its floors (a part not assessed has none)."""
        skip = rescaled_of[i]["parts"] if i in rescaled_of else ()
        return group_pcts({g: float(group_shown[g][i]) for g in groups_of.get(i, groups) if g not in skip}, fw)

    # A roll-up row has only the groups its rule could roll up (none for share_meeting).
    groups_of = {d: [g for g in groups if g in r["groups"]] for d, r in rollups.items()}
    # Conditions and criteria met (issue 16): from the unit's own values and node points; a roll-up
    # district is checked on its own entry's values only, and its criteria are not counted.
    crit_of, cond_of = _criteria_and_conditions(inp, tt, rows_ranked.tolist(), has_entry, rollups, patched, bands)
    no_award = np.zeros(n, dtype=bool)
    if bands:
        band_idx, no_award = _bands(inp, bands, group_floors, floors, rows_ranked, totals, group_shown, groups_of,
                                    rescaled_of, crit_of, cond_of, pcts_of)
    award_of: dict[int, tuple[str, str]] = {}
    quota = settings.get("award_quota_pct")
    if bands and quota is not None:
        top_band = max(bands, key=lambda b: b.min_total).code
        eligible = np.isin(band_idx, [k for k, b in enumerate(bands) if b.code == top_band]) & ~no_award
        award_of = award_proposals(float(quota), int(settings.get("top_per_cluster", 1) or 1), top_band, eligible,
                                   cluster_code, rk_c, inp.clusters)
    if on_progress:
        on_progress(0.8, "rows")

    method = settings.get("aggregation", "mean")
    own_shown = shown_array(np.where(has_entry, own, 0.0))
    reg_shown, bonus_shown = shown_array(regular), shown_array(bonus)
    band_codes = [b.code for b in bands]
    # Under z-scores, which rows keep their exact figures (see the module docstring).
    normalised = bool(settings.get("normalise"))
    exact_kept = _rows_kept(n, normalised, set(rollups) | set(rescaled_of) | set(override_expl))
    # a district's own exact total shows in its row only in a combined roll-up's components
    own_kept = _rows_kept(n, normalised, set(rollups) if (settings.get("rollup") or {}).get("kind") == "combined" else set())
    marks_hi, marks_lo, detailed = _marks_columns(n, inp.judged_detail, inp.marks_hashes)

    def build_row(i: int) -> dict:
        gs = {g: float(group_shown[g][i]) for g in groups_of.get(i, groups)}
        status = RANKED if ranked[i] else NOT_SUBMITTED
        rk, rc = int(rk_a[i]), int(rk_c[i])
        band = band_codes[band_idx[i]] if band_idx[i] >= 0 else None
        award = award_of.get(i)
        expl: dict[str, Any] = {"v": 2, "entry": bool(has_entry[i]), "status": status, "decimals": SHOWN_DECIMALS,
                                "total": float(totals[i])}
        if exact_kept[i]:
            expl["total_exact"] = float(exact[i])
        expl.update({
            "own_total": float(own_shown[i]) if has_entry[i] else None,
            "regular_total": float(reg_shown[i]), "bonus_total": float(bonus_shown[i]), "penalty_total": float(pen_shown[i]),
            "groups": gs, "group_pcts": pcts_of(i) if floors and ranked[i] else None, "caps_applied": caps.get(i, []),
            "aggregation": {"method": method, "normalise": bool(settings.get("normalise")),
                            "trim_min_judges": settings.get("trim_min_judges", 3)},
            "judged_indicators": int(n_judged[i]),
            "judged": inp.judged_detail.get(i),
            "overrides": override_expl.get(i),
            "rollup": rollups[i]["explain"]() if i in rollups else None,
            "rank": {"rank": None if rk < 0 else rk, "tied": bool(tied_a[i]), "decided_by": names_of[int(deep_a[i])],
                     "rank_in_cluster": None if rc < 0 else rc, "tied_in_cluster": bool(tied_c[i]),
                     "decided_by_in_cluster": names_of[int(deep_c[i])], "tie_breaks": tie_names},
            "band": band,
            "award": award[1] if award else None,
            **results_explanation(cond_of.get(i, ()), crit_of.get(i)),
            "rescaled": rescaled_of.get(i),
        })
        if weights:
            expl["weights"] = dict(weights)
        return {
            "unit_id": int(inp.unit_ids[i]), "entry_id": inp.entry_ids[i], "level": inp.levels[i],
            "cluster_id": inp.clusters[i], "status": status, "total": expl["total"],
            "own_total": expl["own_total"], "self_total": inp.self_totals[i], "rank": expl["rank"]["rank"],
            "rank_in_cluster": expl["rank"]["rank_in_cluster"], "tied": expl["rank"]["tied"], "band": band,
            "award": award[0] if award else None, "group_scores": gs,
            "interval_low": float(low[i]) if low is not None else None,
            "interval_high": float(high[i]) if high is not None else None,
            "flagged": bool(flagged[i]), "explanation": expl,
            "band_note": band_note(cond_of.get(i, ()), crit_of.get(i), rescaled_of[i]["parts"] if i in rescaled_of else ()),
        }

    def signatures_of() -> np.ndarray:
        # What each row is made of, for its signature: the columns above, and the rare structured
        # parts per row (build_row must use nothing else — tests/unit/test_row_signatures.py).
        hashed: dict[int, int] = {}
        for i in set(caps) | detailed | set(override_expl) | set(rollups) | set(award_of) \
                | set(cond_of) | set(crit_of) | set(rescaled_of):  # (group_pcts: from the group columns and these)
            hashed[i] = text_hash(list_text([
                caps.get(i), inp.judged_detail.get(i), override_expl.get(i), rollups[i]["key"] if i in rollups else None,
                groups_of.get(i), award_of.get(i),
                results_explanation(cond_of.get(i, ()), crit_of.get(i)) if i in cond_of or i in crit_of else None,
                rescaled_of.get(i)]))
        band_index = {b.code: k for k, b in enumerate(bands)}  # from the settings (in the seed)
        band_col = np.array([band_index[c] for c in band_codes] + [-1], dtype=np.int64)[band_idx]  # (−1 → the last)
        return row_signatures(n, [
            inp.unit_ids, inp.entry_ids, inp.levels, inp.clusters, inp.self_totals, has_entry, ranked, totals,
            np.where(exact_kept, exact, np.nan), np.where(has_entry & own_kept, own, np.nan), marks_hi, marks_lo,
            own_shown, reg_shown, bonus_shown, pen_shown, n_judged,
            *(group_shown[g] for g in groups), rk_a, tied_a, deep_a, rk_c, tied_c, deep_c, band_col,
            low if low is not None else np.zeros(n), high if high is not None else np.zeros(n), flagged,
            kids_hash(n, rollups, [totals, inp.populations, ranked]),  # (communes are never districts)
        ], {}, seed=[ROW_FORMAT, SHOWN_DECIMALS, fw.code, list(comp.codes), [list(g) for g in comp.groups],
                         dict(settings), low is None], hashed=hashed)

    return CampaignResult(n, build_row, signatures_of)


def _rows_kept(n: int, normalised: bool, rows: set[int]) -> np.ndarray:
    """Per row: does it keep an exact figure — every row, but under z-scores only ``rows`` (those
    whose explanations hold exact figures: roll-up, rescaled and overridden rows)."""
    if not normalised:
        return np.ones(n, dtype=bool)
    kept = np.zeros(n, dtype=bool)
    kept[np.fromiter(rows, dtype=np.int64, count=len(rows))] = True
    return kept


def _marks_columns(n: int, judged_detail: Mapping[int, dict], hashes: np.ndarray | None
                   ) -> tuple[np.ndarray, np.ndarray, set[int]]:
    """The judges' detail of each row for its signature: a detail that is only its entry's marks hash
    (z-scores: ``{"marks": 16 hex digits}``, or ``hashes`` given) as two exact 32-bit columns, no JSON
    per row; the rows with any other detail, which are hashed as structured parts."""
    if hashes is not None:
        bits = np.asarray(hashes, dtype=np.uint64)
        return (bits >> np.uint64(32)).astype(float), (bits & np.uint64(0xFFFFFFFF)).astype(float), set()
    hi, lo = np.zeros(n), np.zeros(n)
    detailed: set[int] = set()
    for i, d in judged_detail.items():
        marks = d.get("marks") if len(d) == 1 else None
        if type(marks) is str and len(marks) == 16:
            h = int(marks, 16)
            hi[i], lo[i] = h >> 32, h & 0xFFFFFFFF
        else:
            detailed.add(i)
    return hi, lo, detailed


def _bands(inp: CampaignInputs, bands: list[Band], group_floors: Mapping[str, float], floors: bool, rows_ranked: np.ndarray,
           totals: np.ndarray, group_shown: Mapping[str, np.ndarray], groups_of: Mapping[int, list[str]],
           rescaled_of: Mapping[int, dict], crit_of: Mapping[int, tuple], cond_of: Mapping[int, tuple],
           pcts_of: Callable[[int], dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the index of its band in ``bands`` (−1: none) and whether a condition withholds its award.

    Ranked rows sharing their conditions' effects are banded together by arrays, with every group's
    percentage as a column; with group floors, a roll-up district or a rescaled row (its groups are
    not all measured) goes through :func:`band_ok` with its own percentages (``pcts_of``).
    """
    n = totals.shape[0]
    band_idx = np.full(n, -1, dtype=np.int64)
    no_award = np.zeros(n, dtype=bool)
    index_of = {id(b): k for k, b in enumerate(bands)}
    seen: dict[tuple, tuple[bool, list[Band]]] = {}

    def effects_of(res: tuple) -> tuple[bool, list[Band]]:
        ekey = tuple((r.code, r.effect, r.cap_band, r.met) for r in res)
        if ekey not in seen:  # (only the effects' band and award parts are used here)
            eff = condition_effects(res)
            seen[ekey] = (eff.award_allowed, allowed_bands(bands, eff.cap_bands, eff.withhold))
        return seen[ekey]

    by_arrays = np.zeros(n, dtype=bool)
    by_arrays[rows_ranked] = True
    if floors:
        for i in sorted(set(groups_of) | set(rescaled_of)):
            if not by_arrays[i]:
                continue
            by_arrays[i] = False
            award_ok, allowed = effects_of(cond_of.get(i, ()))
            no_award[i] = not award_ok
            crit = crit_of[i][0] if i in crit_of else None
            b = next((b for b in allowed if band_ok(b, float(totals[i]), pcts_of(i), group_floors, crit)), None)
            band_idx[i] = -1 if b is None else index_of[id(b)]
    criteria = np.full(n, -1, dtype=np.int64)
    for i, c in crit_of.items():
        criteria[i] = c[0]
    by_effect: dict[int, tuple[tuple[bool, list[Band]], list[int]]] = {}
    plain = by_arrays.copy()
    for i, res in cond_of.items():
        if by_arrays[i]:
            eff = effects_of(res)
            by_effect.setdefault(id(eff), (eff, []))[1].append(i)
            plain[i] = False
    parts = [(effects_of(()), np.nonzero(plain)[0])] + [(e, np.array(rows, dtype=np.int64)) for e, rows in by_effect.values()]
    pcts = group_percentage_columns(inp.fw, group_shown) if floors else {}
    for (award_ok, allowed), rows in parts:
        if rows.size:
            no_award[rows] = not award_ok
            band_idx[rows] = bands_by_arrays(allowed, totals[rows], criteria[rows], index_of,
                                             {g: p[rows] for g, p in pcts.items()}, group_floors)
    return band_idx, no_award


def _criteria_and_conditions(inp: CampaignInputs, tt: Any, rows_ranked: list[int], has_entry: np.ndarray,
                              rollups: Mapping[int, dict], patched: Mapping[int, Mapping[str, float]], bands: list[Band]
                              ) -> tuple[dict[int, tuple[int, int, tuple[str, ...]]], dict[int, tuple]]:
    """Per ranked row: (met, of, not met) criteria — only when a band counts them or a node is marked
    ``criterion`` — and the condition results (rows with their own entry, when the framework has conditions)."""
    fw = inp.fw
    crit: dict[int, tuple[int, int, tuple[str, ...]]] = {}
    cond: dict[int, tuple] = {}
    nodes = criteria_nodes(fw)
    if any(b.min_criteria_met is not None for b in bands) or any(getattr(x, "criterion", False) for x in nodes):
        cols = {x.code: tt.node_points[x.code] for x in nodes}
        for i in rows_ranked:
            if i in rollups:
                continue
            pts = patched[i] if i in patched else {c: float(col[i]) for c, col in cols.items()}
            crit[i] = criteria_met(fw, pts)
    if getattr(fw, "conditions", ()):
        for i in rows_ranked:
            if has_entry[i]:
                cond[i] = evaluate_conditions(fw, inp.condition_values.get(i, {}))
    return crit, cond


__all__ = ["CampaignInputs", "CampaignResult", "OverriddenEntry", "compute_campaign", "group_pcts",
           "RANKED", "NOT_SUBMITTED"]
