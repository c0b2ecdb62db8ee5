"""District scores derived from their communes' results (plus, optionally, the district's own score).

Decisions where the brief is silent:

* No communes → the communes part is 0 (nothing was achieved), with a component saying so.
* ``weighted_mean``: a commune without population gets the mean of the known
  populations (so it neither dominates nor vanishes); if none is known all
  weights are equal.
* ``combined`` uses the weights as given (no renormalisation, so 0.4/0.6 mean
  exactly that); a missing own score counts as 0 and is flagged in components.
* ``share_meeting`` ``scale`` defaults to 100.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .rules import round_points


@dataclass(frozen=True)
class CommuneResult:
    unit_code: str
    total: float
    population: float | None = None
    meets_standard: bool = False


@dataclass(frozen=True)
class RollupResult:
    total: float
    method: str
    components: list[dict] = field(default_factory=list)


def _mean_of(values: Sequence[float]) -> float:
    return round_points(math.fsum(values) / len(values)) if values else 0.0


def _population_weights(populations: Sequence[float | None]) -> tuple[list[float], list[float]]:
    """(populations with the missing ones imputed, weights summing to 1) — see the module docstring."""
    known = [p for p in populations if p is not None]
    fill = math.fsum(known) / len(known) if known else 1.0
    pops = [p if p is not None else fill for p in populations]
    wsum = math.fsum(pops)
    if wsum <= 0:
        pops, wsum = [1.0] * len(populations), float(len(populations))
    return pops, [p / wsum for p in pops]


def _weighted_of(values: Sequence[float], weights: Sequence[float]) -> float:
    return round_points(math.fsum(v * w for v, w in zip(values, weights, strict=True)))


def _combine(rule: dict, own: float | None, communes_part: float) -> float:
    ow, cw = float(rule.get("own_weight", 0.5)), float(rule.get("communes_weight", 0.5))
    return round_points(ow * (0.0 if own is None else float(own)) + cw * communes_part)


def _inner_rule(rule: dict) -> dict:
    inner = rule.get("communes") or {"kind": "mean"}
    if inner.get("kind") == "combined":
        raise ValueError("combined rollup cannot nest another combined rule")
    return inner


def _mean(rule: dict, communes: Sequence[CommuneResult], detail: bool = True) -> RollupResult:
    n = len(communes)
    if n == 0:
        return RollupResult(0.0, "mean", [{"note": "no communes"}])
    comps = [{"unit_code": c.unit_code, "total": c.total, "weight": 1 / n,
              "contribution": round_points(c.total / n)} for c in communes] if detail else []
    return RollupResult(_mean_of([c.total for c in communes]), "mean", comps)


def _weighted_mean(rule: dict, communes: Sequence[CommuneResult], detail: bool = True) -> RollupResult:
    if not communes:
        return RollupResult(0.0, "weighted_mean", [{"note": "no communes"}])
    pops, weights = _population_weights([c.population for c in communes])
    comps = [{"unit_code": c.unit_code, "total": c.total, "population": p, "population_imputed": c.population is None,
              "weight": w, "contribution": round_points(c.total * w)}
             for c, p, w in zip(communes, pops, weights, strict=True)] if detail else []
    return RollupResult(_weighted_of([c.total for c in communes], weights), "weighted_mean", comps)


def _share_meeting(rule: dict, communes: Sequence[CommuneResult], detail: bool = True) -> RollupResult:
    scale = float(rule.get("scale", 100))
    n = len(communes)
    met = sum(1 for c in communes if c.meets_standard)
    comps = [{"unit_code": c.unit_code, "meets_standard": c.meets_standard} for c in communes]
    comps.append({"met": met, "of": n, "scale": scale})
    total = round_points(met / n * scale) if n else 0.0
    return RollupResult(total, "share_meeting", comps)


def _combined(rule: dict, own: float | None, communes: Sequence[CommuneResult], detail: bool = True) -> RollupResult:
    inner = rollup(_inner_rule(rule), None, communes, detail=detail)
    ow, cw = float(rule.get("own_weight", 0.5)), float(rule.get("communes_weight", 0.5))
    own_v = 0.0 if own is None else float(own)
    comps = [
        {"part": "own", "score": own_v, "weight": ow, "contribution": round_points(ow * own_v),
         "missing": own is None},
        {"part": "communes", "method": inner.method, "score": inner.total, "weight": cw,
         "contribution": round_points(cw * inner.total), "components": inner.components},
    ]
    return RollupResult(_combine(rule, own, inner.total), "combined", comps)


def rollup(rule: dict, own: float | None, communes: Sequence[CommuneResult], *, detail: bool = True) -> RollupResult:
    """Apply a rollup ``rule`` (``{"kind": mean|weighted_mean|share_meeting|combined, ...}``).

    ``detail=False`` skips the per-commune components (same total).
    """
    kind = rule.get("kind")
    if kind == "mean":
        return _mean(rule, communes, detail)
    if kind == "weighted_mean":
        return _weighted_mean(rule, communes, detail)
    if kind == "share_meeting":
        return _share_meeting(rule, communes, detail)
    if kind == "combined":
        return _combined(rule, own, communes, detail)
    raise ValueError(f"unknown rollup kind {kind!r}")


def rollup_figure(rule: dict, own: float | None, values: Sequence[float],
                  populations: Sequence[float | None]) -> float | None:
    """The same roll-up of one figure (e.g. a criteria group's points) of each commune, without objects.

    None for ``share_meeting``, which counts communes meeting the standard and has no per-figure meaning.
    """
    kind = rule.get("kind")
    if kind == "mean":
        return _mean_of(values)
    if kind == "weighted_mean":
        return _weighted_of(values, _population_weights(populations)[1]) if values else 0.0
    if kind == "share_meeting":
        return None
    if kind == "combined":
        inner = rollup_figure(_inner_rule(rule), None, values, populations)
        return None if inner is None else _combine(rule, own, inner)
    raise ValueError(f"unknown rollup kind {kind!r}")
