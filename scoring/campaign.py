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
"""
from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .band_reasons import group_percentages
from .band_specs import engine_bands
from .condition_eval import criteria_met, criteria_nodes
from .condition_eval import evaluate as evaluate_conditions
from .conditions import band_note, results_explanation
from .conditions import effects as condition_effects
from .entry import score_entry
from .framework import Framework
from .ranking import Award, Band, Ranked, allowed_bands, first_band, propose_awards, rank_arrays, tie_break_name
from .rescale import campaign_rows as rescale_rows
from .rollup import CommuneResult, rollup, rollup_figure
from .rules import SHOWN_DECIMALS, round_points, shown
from .signatures import row_signatures
from .vector import CompiledRules, tree_totals
from .vector import shown as shown_array

RANKED, NOT_SUBMITTED = "ranked", "not_submitted"
# Bump when a row's dict changes shape for the same figures: stored rows then all differ and are rewritten.
ROW_FORMAT = 1


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


def _weighted(compiled: CompiledRules, gs: Mapping[str, float], weights: Mapping[str, Any]) -> float:
    """What-if total with group weights: the regular part still capped at the scale, the total at its range."""
    part = {"regular": 0.0, "bonus": 0.0, "penalty": 0.0}
    for code, kind in compiled.groups:
        part[kind] += gs[code] * float(weights.get(code, 1.0))
    regular = min(round_points(part["regular"]), compiled.scale)
    raw = round_points(regular + part["bonus"] + part["penalty"])
    return min(max(raw, 0.0), compiled.scale + compiled.bonus_cap_total)


def _tie_matrix(names: Sequence[str], groups: Mapping[str, list[float]], penalty: Sequence[float],
                first_submitted: Sequence[float | None], n: int) -> np.ndarray:
    """Tie-break values per unit (columns in ``names`` order; higher is better), at shown precision."""
    cols = []
    for name in names:
        if name.startswith("group:") and name.split(":", 1)[1] in groups:
            cols.append(np.asarray(groups[name.split(":", 1)[1]], dtype=float))
        elif name == "fewer_penalty":
            cols.append(np.asarray(penalty, dtype=float))
        elif name == "earlier_submission":
            cols.append(np.array([-ts if ts is not None else -math.inf for ts in first_submitted], dtype=float))
        else:
            cols.append(np.zeros(n))
    return np.column_stack(cols) if cols else np.zeros((n, 0))


def _rollups(inp: CampaignInputs, exact: list[float], own: list[float | None], ranked: list[bool],
             groups: list[str], group_exact: dict[str, list[float]]) -> dict[int, dict]:
    """Districts' roll-up by district row: total, per-group figures, ``explain()`` (the explanation with
    one component per commune, built only for the rows written) and ``key`` (what that explanation is
    made of, for the row's signature: everything but the communes' figures, which :func:`_kids_hash` covers)."""
    rule = inp.settings.get("rollup")
    if not rule:
        return {}
    bands_cfg = inp.settings.get("bands") or []
    threshold = rule.get("threshold", rule.get("min_total"))
    if threshold is None and bands_cfg:
        threshold = min(float(b["min_total"]) for b in bands_cfg)
    row_of_unit = {int(u): i for i, u in enumerate(inp.unit_ids)}
    children: dict[int, list[int]] = {}
    for i, (lvl, parent) in enumerate(zip(inp.levels, inp.parents, strict=True)):
        if lvl == 3 and parent in row_of_unit and inp.levels[row_of_unit[parent]] == 2:
            children.setdefault(row_of_unit[parent], []).append(i)
    if not children:
        return {}
    # Communes count with their shown figures; one that did not submit counts 0.
    counts = np.asarray(ranked, dtype=bool)
    tot_shown = np.where(counts, shown_array(np.asarray(exact, dtype=float)), 0.0).tolist()
    grp_shown = {g: np.where(counts, shown_array(np.asarray(group_exact[g], dtype=float)), 0.0).tolist()
                 for g in groups}
    out: dict[int, dict] = {}
    for d, kids in sorted(children.items()):
        own_d = own[d] if ranked[d] else None  # a draft's own part is not counted
        pops = [inp.populations[k] for k in kids]
        total = rollup_figure(rule, own_d, [tot_shown[k] for k in kids], pops)
        if total is None:  # share_meeting: counts the communes meeting the standard
            total = rollup(rule, own_d, _communes(inp, kids, tot_shown, ranked, threshold), detail=False).total
        by_group: dict[str, float] = {}
        for g in groups:
            col = grp_shown[g]
            fig = rollup_figure(rule, group_exact[g][d] if own_d is not None else None, [col[k] for k in kids], pops)
            if fig is not None:
                by_group[g] = fig
        key = [dict(rule), None if own_d is None else shown(own_d), shown(total), "\x1f".join(
            inp.unit_codes[k] for k in kids), None if threshold is None else float(threshold),
            {g: shown(v) for g, v in by_group.items()}]
        out[d] = {"total": total, "groups": by_group, "key": key, "kids": kids,
                  "explain": _rollup_explainer(inp, rule, own_d, kids, tot_shown, ranked, threshold, by_group)}
    return out


def _communes(inp: CampaignInputs, kids: list[int], tot_shown: list[float], ranked: list[bool],
              threshold: Any) -> list[CommuneResult]:
    return [CommuneResult(inp.unit_codes[k], tot_shown[k], inp.populations[k],
                          ranked[k] and threshold is not None and tot_shown[k] >= float(threshold)) for k in kids]


def _rollup_explainer(inp: CampaignInputs, rule: dict, own_d: float | None, kids: list[int], tot_shown: list[float],
                      ranked: list[bool], threshold: Any, by_group: dict[str, float]) -> Callable[[], dict]:
    def explain() -> dict:
        rr = rollup(rule, own_d, _communes(inp, kids, tot_shown, ranked, threshold))
        return {"rule": dict(rule), "method": rr.method, "own_total": None if own_d is None else shown(own_d),
                "total": shown(rr.total), "communes": len(kids),
                "not_submitted": [inp.unit_codes[k] for k in kids if not ranked[k]],
                "threshold": None if threshold is None else float(threshold), "components": rr.components,
                "groups": {g: shown(v) for g, v in by_group.items()}}
    return explain


def _kids_hash(n: int, rollups: Mapping[int, dict], columns: list[Any]) -> np.ndarray:
    """Per district row: a hash of its communes' figures (``columns`` at each commune, in order); 0 elsewhere."""
    if not rollups:
        return np.zeros(n, dtype=np.int64)
    per_row = row_signatures(n, columns, {}, seed="commune")
    districts = list(rollups)
    kids = [rollups[d]["kids"] for d in districts]
    sizes = np.fromiter((len(k) for k in kids), dtype=np.int64, count=len(kids))
    flat = np.fromiter((k for ks in kids for k in ks), dtype=np.int64, count=int(sizes.sum()))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    position = np.arange(flat.size) - np.repeat(starts, sizes)  # a commune's place among its district's
    mixed = row_signatures(flat.size, [per_row[flat], position], {}, seed="kids").view(np.uint64)
    out = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        out[np.asarray(districts, dtype=np.int64)] = np.add.reduceat(mixed, starts, dtype=np.uint64)
    return out.view(np.int64)


def compute_campaign(inp: CampaignInputs, on_progress: Callable[[float, str], None] | None = None) -> CampaignResult:
    """Every unit's result row (without database ids) from the campaign's inputs."""
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
    group_exact = {g: tt.node_points[g].tolist() for g in groups}
    exact = tt.total.tolist()
    regular, bonus, penalty = tt.regular.tolist(), tt.bonus.tolist(), tt.penalty.tolist()
    caps: dict[int, list[str]] = {}
    for node in comp.nodes:
        for i in np.nonzero(tt.node_points[node.code] != tt.node_raw[node.code])[0].tolist():
            caps.setdefault(i, []).append(node.code)
    for i in np.nonzero(tt.regular != tt.regular_raw)[0].tolist():
        caps.setdefault(i, []).append("SCALE")
    for i in np.nonzero(tt.total != tt.raw_total)[0].tolist():
        caps.setdefault(i, []).append("TOTAL")
    n_judged_a = inp.judged.sum(axis=1).astype(int)
    n_judged = n_judged_a.tolist()
    threshold = settings.get("disagreement_threshold")
    flagged: list[bool] = [False] * n
    if threshold is not None and inp.spread is not None:
        over = np.asarray(inp.spread, dtype=float) > float(threshold)
        flagged = [bool(f) for f in np.asarray(over.any(axis=1))]

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
        for i in range(n):
            exact[i] = _weighted(comp, {g: group_exact[g][i] for g in groups}, weights)
    has_entry = [e is not None for e in inp.entry_ids]
    own = [t if h else None for t, h in zip(exact, has_entry, strict=True)]
    exact = [t if h else 0.0 for t, h in zip(exact, has_entry, strict=True)]
    ranked = [bool(s) and h for s, h in zip(inp.submitted, has_entry, strict=True)]
    if on_progress:
        on_progress(0.7, "rollup")

    rollups = _rollups(inp, exact, own, ranked, groups, group_exact)
    for d, r in rollups.items():
        exact[d] = r["total"]
        ranked[d] = True  # its result is its communes' (and own part's) roll-up
        for g in groups:
            group_exact[g][d] = r["groups"].get(g, 0.0)

    # Everything below compares the figures as shown.
    totals_a = shown_array(np.asarray(exact, dtype=float))  # (arrays kept for the rows' signatures)
    totals = totals_a.tolist()
    group_shown_a = {g: shown_array(np.asarray(group_exact[g], dtype=float)) for g in groups}
    group_shown = {g: a.tolist() for g, a in group_shown_a.items()}
    pen_a = shown_array(np.asarray(penalty, dtype=float))
    pen_shown = pen_a.tolist()
    rows_ranked = [i for i in range(n) if ranked[i]]
    rk_a: list[int | None] = [None] * n
    rk_c: list[int | None] = [None] * n
    tied_a, tied_c = [False] * n, [False] * n
    deep_a, deep_c = [-1] * n, [-1] * n
    tie_names = list(settings.get("tie_breaks") or [])
    if rows_ranked:
        sel = np.array(rows_ranked, dtype=np.int64)
        sc = np.asarray(totals, dtype=float)[sel]
        tb = _tie_matrix(tie_names, {g: [group_shown[g][i] for i in rows_ranked] for g in groups},
                         [pen_shown[i] for i in rows_ranked], [inp.first_submitted[i] for i in rows_ranked],
                         len(rows_ranked))
        codes: dict[Any, int] = {}
        lvl = [codes.setdefault(inp.levels[i], len(codes)) for i in rows_ranked]
        r1, t1, d1 = rank_arrays(sc, tb, lvl)
        in_cl = [k for k, i in enumerate(rows_ranked) if inp.clusters[i] is not None]
        for k, i in enumerate(rows_ranked):
            rk_a[i], tied_a[i], deep_a[i] = int(r1[k]), bool(t1[k]), int(d1[k])
        if in_cl:
            ccodes: dict[Any, int] = {}
            cl = [ccodes.setdefault((inp.levels[rows_ranked[k]], inp.clusters[rows_ranked[k]]), len(ccodes))
                  for k in in_cl]
            r2, t2, d2 = rank_arrays(sc[in_cl], tb[in_cl], cl)
            for m, k in enumerate(in_cl):
                i = rows_ranked[k]
                rk_c[i], tied_c[i], deep_c[i] = int(r2[m]), bool(t2[m]), int(d2[m])
    names_of = {d: tie_break_name(tie_names, d) for d in set(deep_a) | set(deep_c)}

    bands = engine_bands(settings.get("bands"))
    group_floors = {g.code: g.floor_pct for g in fw.groups if g.floor_pct is not None}
    floors = any(b.has_floors for b in bands)
    band_of: list[str | None] = [None] * n
    pcts_of: dict[int, dict[str, float]] = {}
    # A roll-up row has only the groups its rule could roll up (none for share_meeting).
    groups_of = {d: [g for g in groups if g in r["groups"]] for d, r in rollups.items()}
    # Conditions and criteria met (issue 16): from the unit's own values and node points; a roll-up
    # district is checked on its own entry's values only, and its criteria are not counted.
    crit_of, cond_of = _criteria_and_conditions(inp, tt, rows_ranked, has_entry, rollups, patched, bands)
    no_award: set[int] = set()
    effects_seen: dict[tuple, Any] = {}
    if bands:
        for i in rows_ranked:
            if floors:
                skip = rescaled_of[i]["parts"] if i in rescaled_of else ()  # a part not assessed has no floor
                pcts_of[i] = group_pcts({g: group_shown[g][i] for g in groups_of.get(i, groups) if g not in skip}, fw)
            res = cond_of.get(i, ())
            ekey = tuple((r.code, r.effect, r.cap_band, r.met) for r in res)
            seen = effects_seen.get(ekey)
            if seen is None:  # (only the effects' band and award parts are used here)
                eff = condition_effects(res)
                seen = effects_seen[ekey] = (eff.award_allowed, allowed_bands(bands, eff.cap_bands, eff.withhold))
            if not seen[0]:
                no_award.add(i)
            band_of[i] = first_band(seen[1], totals[i], pcts_of.get(i, {}), group_floors,
                                    crit_of[i][0] if i in crit_of else None)
    award_bands = [None if i in no_award else b for i, b in enumerate(band_of)]
    award_of = _awards(inp, settings, bands, award_bands, rows_ranked, rk_c, totals, tied_c, deep_c, names_of)
    if on_progress:
        on_progress(0.8, "rows")

    method = settings.get("aggregation", "mean")
    own_a = shown_array(np.asarray([0.0 if o is None else o for o in own], dtype=float))
    reg_a = shown_array(np.asarray(regular, dtype=float))
    bonus_a = shown_array(np.asarray(bonus, dtype=float))
    own_shown, reg_shown, bonus_shown = own_a.tolist(), reg_a.tolist(), bonus_a.tolist()
    statuses = [RANKED if r else NOT_SUBMITTED for r in ranked]

    def build_row(i: int) -> dict:
        gs = {g: group_shown[g][i] for g in groups_of.get(i, groups)}
        status = statuses[i]
        expl = {
            "v": 2, "entry": has_entry[i], "status": status, "decimals": SHOWN_DECIMALS,
            "total": totals[i], "total_exact": exact[i], "own_total": None if own[i] is None else own_shown[i],
            "regular_total": reg_shown[i], "bonus_total": bonus_shown[i], "penalty_total": pen_shown[i],
            "groups": gs, "group_pcts": pcts_of.get(i), "caps_applied": caps.get(i, []),
            "aggregation": {"method": method, "normalise": bool(settings.get("normalise")),
                            "trim_min_judges": settings.get("trim_min_judges", 3)},
            "judged_indicators": n_judged[i],
            "judged": inp.judged_detail.get(i),
            "overrides": override_expl.get(i),
            "rollup": rollups[i]["explain"]() if i in rollups else None,
            "rank": {"rank": rk_a[i], "tied": tied_a[i], "decided_by": names_of[deep_a[i]],
                     "rank_in_cluster": rk_c[i], "tied_in_cluster": tied_c[i],
                     "decided_by_in_cluster": names_of[deep_c[i]], "tie_breaks": tie_names},
            "band": band_of[i],
            "award": award_of[i].reason if i in award_of else None,
            **results_explanation(cond_of.get(i, ()), crit_of.get(i)),
            "rescaled": rescaled_of.get(i),
        }
        if weights:
            expl["weights"] = dict(weights)
        return {
            "unit_id": int(inp.unit_ids[i]), "entry_id": inp.entry_ids[i], "level": inp.levels[i],
            "cluster_id": inp.clusters[i], "status": status, "total": totals[i],
            "own_total": expl["own_total"], "self_total": inp.self_totals[i], "rank": rk_a[i],
            "rank_in_cluster": rk_c[i], "tied": tied_a[i], "band": band_of[i],
            "award": award_of[i].kind if i in award_of else None, "group_scores": gs,
            "interval_low": float(low[i]) if low is not None else None,
            "interval_high": float(high[i]) if high is not None else None,
            "flagged": bool(flagged[i]), "explanation": expl,
            "band_note": band_note(cond_of.get(i, ()), crit_of.get(i), rescaled_of[i]["parts"] if i in rescaled_of else ()),
        }

    def signatures_of() -> np.ndarray:
        # What each row is made of, for its signature: the columns above, and the rare structured
        # parts per row (build_row must use nothing else — tests/unit/test_row_signatures.py).
        sparse: dict[int, Any] = {}
        for i in set(caps) | set(inp.judged_detail) | set(override_expl) | set(rollups) | set(award_of) \
                | set(cond_of) | set(crit_of) | set(rescaled_of):  # (group_pcts: from the group columns and these)
            sparse[i] = [caps.get(i), inp.judged_detail.get(i), override_expl.get(i),
                         rollups[i]["key"] if i in rollups else None, groups_of.get(i),
                         (award_of[i].kind, award_of[i].reason) if i in award_of else None,
                         results_explanation(cond_of.get(i, ()), crit_of.get(i)) if i in cond_of or i in crit_of else None,
                         rescaled_of.get(i)]
        band_index = {b.code: k for k, b in enumerate(bands)}  # from the settings (in the seed)
        return row_signatures(n, [
            inp.unit_ids, inp.entry_ids, inp.levels, inp.clusters, inp.self_totals, has_entry, ranked, totals_a, exact, own,
            own_a, reg_a, bonus_a, pen_a, n_judged_a, *(group_shown_a[g] for g in groups),
            [-1 if r is None else r for r in rk_a], tied_a, deep_a, [-1 if r is None else r for r in rk_c], tied_c, deep_c,
            [-1 if b is None else band_index[b] for b in band_of],
            low if low is not None else np.zeros(n), high if high is not None else np.zeros(n), flagged,
            _kids_hash(n, rollups, [totals_a, inp.populations, ranked]),  # (communes are never districts)
        ], sparse, seed=[ROW_FORMAT, SHOWN_DECIMALS, fw.code, list(comp.codes), [list(g) for g in comp.groups],
                         dict(settings), low is None])

    return CampaignResult(n, build_row, signatures_of)


def _criteria_and_conditions(inp: CampaignInputs, tt: Any, rows_ranked: list[int], has_entry: list[bool],
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


def _awards(inp: CampaignInputs, settings: Mapping[str, Any], bands: list[Band], band_of: list[str | None],
            rows_ranked: list[int], rk_c: list[int | None], totals: list[float], tied_c: list[bool],
            deep_c: list[int], names_of: dict[int, str | None]) -> dict[int, Award]:
    """Award proposals per cluster (ranked units in a cluster only), within the quota."""
    quota = settings.get("award_quota_pct")
    if not bands or quota is None:
        return {}
    top_band = max(bands, key=lambda b: b.min_total).code
    by_cluster: dict[tuple, list[int]] = {}
    for i in rows_ranked:
        if inp.clusters[i] is not None:
            by_cluster.setdefault((inp.levels[i], inp.clusters[i]), []).append(i)
    # propose_awards looks at the cluster's size and at its top-band units only: the others
    # are one shared placeholder (unit None has no band), which spares 10,000 objects.
    filler = Ranked(None, 0, 0.0)
    band_map: dict[Hashable, str] = {i: b for i, b in enumerate(band_of) if b is not None}
    out: dict[int, Award] = {}
    for (_lvl, cl), members in by_cluster.items():
        ranked = [Ranked(i, rk_c[i] or 0, totals[i], tied_c[i], names_of[deep_c[i]]) if band_of[i] == top_band
                  else filler for i in members]
        for a in propose_awards({cl: ranked}, band_map, top_band, float(quota),
                                int(settings.get("top_per_cluster", 1) or 1)):
            if isinstance(a.unit_id, int):
                out[a.unit_id] = a
    return out


__all__ = ["CampaignInputs", "CampaignResult", "OverriddenEntry", "compute_campaign", "group_pcts",
           "RANKED", "NOT_SUBMITTED"]
