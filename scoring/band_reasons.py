"""Why a unit got its band: the band reached and, for every higher band, what was missing.

A band is shown on the public board, unit pages, the API, exports and admin results; a reader
who sees "882,65" next to "Không hoàn thành nhiệm vụ" while the legend says "Xuất sắc ≥ 855"
needs the cause at hand (a group under its floor). This module derives that cause from exactly
the inputs of :func:`scoring.ranking.classify` and asks ``classify`` for the band itself, so the
explanation can never name a different band than the one the engine gave.

Rules restated (they are ``classify``'s): bands are tried from the highest ``min_total`` down; a
band is reached when ``total ≥ min_total`` and, if the band has a ``floor_pct``, every top-level
regular group's percentage of its ``max_points`` is at least its floor (:meth:`Band.floor_of`:
the band's own ``floors`` for that group, else the group's own ``floor_pct``, else the band's),
and at least ``min_criteria_met`` criteria are met; failed conditions (:mod:`scoring.conditions`)
withhold every band or cap it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .conditions import ConditionResult, Effects, effects
from .ranking import Band, allowed_bands, classify


@dataclass(frozen=True)
class FloorMiss:
    """A group whose percentage of its maximum is under the floor a band requires."""

    group: str
    pct: float
    floor: float


@dataclass(frozen=True)
class BandCheck:
    """One band measured against the unit: its minimum total and the floors it failed."""

    code: str
    min_total: float
    floor_pct: float | None
    total_ok: bool
    failed_floors: tuple[FloorMiss, ...] = ()
    criteria_needed: int | None = None  # the band's min_criteria_met when the unit met fewer
    has_floors: bool = False  # a floor above 0 % applies to one of the unit's groups (a 0 % floor asks nothing)
    blocked_by_condition: bool = False  # a failed condition takes this band away

    @property
    def reached(self) -> bool:
        return self.total_ok and not self.failed_floors and self.criteria_needed is None and not self.blocked_by_condition

    @property
    def only_conditions(self) -> bool:
        """Points, floors and criteria suffice: only a failed condition stands in the way."""
        return self.total_ok and not self.failed_floors and self.criteria_needed is None and self.blocked_by_condition


@dataclass(frozen=True)
class BandReason:
    """The band ``classify`` gives, the check of that band, and the higher bands missed (highest first)."""

    band: str | None
    total: float
    reached: BandCheck | None
    missed: tuple[BandCheck, ...]
    conditions: Effects = field(default_factory=Effects)  # failed conditions and what they take away
    criteria_met: int | None = None
    criteria_of: int | None = None

    @property
    def floor_blocked(self) -> tuple[BandCheck, ...]:
        """Higher bands whose minimum total was met but a group floor or the count of criteria was not
        (the surprising case)."""
        return tuple(m for m in self.missed if m.total_ok and (m.failed_floors or m.criteria_needed is not None))


def group_percentages(group_points: Mapping[str, float | None],
                      groups: Iterable[tuple[str, str, float | None]]) -> dict[str, float]:
    """Each top-level regular group's points as a % of its ``max_points`` (4 decimals), as the engine feeds classify.

    ``groups``: (code, kind, max_points) of the framework's top-level groups. Bonus and penalty
    groups, groups without a positive maximum and groups without points are left out. The engine's
    :func:`scoring.campaign.group_pcts` calls this with a parsed framework's groups (one implementation).
    """
    out: dict[str, float] = {}
    for code, kind, max_points in groups:
        if kind != "regular" or not max_points or max_points <= 0 or code not in group_points:
            continue
        out[code] = round(float(group_points[code] or 0.0) / float(max_points) * 100.0, 4)
    return out


def _check(band: Band, total: float, group_pcts: Mapping[str, float], group_floors: Mapping[str, float],
           criteria_met: int | None, allowed: set[str]) -> BandCheck:
    failed = []
    asks = False  # a floor above 0 % was measured: only then "every group meets its floor" says something
    for g, pct in group_pcts.items():
        floor = band.floor_of(g, group_floors)
        asks = asks or (floor is not None and floor > 0)
        if floor is not None and pct < floor:
            failed.append(FloorMiss(g, pct, floor))
    need = band.min_criteria_met
    short = need if need is not None and criteria_met is not None and criteria_met < need else None
    return BandCheck(band.code, band.min_total, band.floor_pct, total >= band.min_total, tuple(failed), short,
                     asks, band.code not in allowed)


def explain(total: float, group_pcts: Mapping[str, float], bands: Sequence[Band],
            group_floors: Mapping[str, float] | None = None, criteria: tuple[int, int] | None = None,
            conditions: Iterable[ConditionResult | Mapping] = ()) -> BandReason:
    """The band of ``total``/``group_pcts`` (from :func:`classify`) with every higher band's shortfall.

    ``criteria``: (met, of) criteria of the unit (None: not counted, e.g. a roll-up district);
    ``conditions``: the unit's condition results (objects or their stored dict form).
    """
    floors = dict(group_floors or {})
    eff = effects(conditions)
    met = criteria[0] if criteria else None
    code = classify(total, dict(group_pcts), bands, floors, met, eff.cap_bands, eff.withhold)
    allowed = {b.code for b in allowed_bands(bands, eff.cap_bands, eff.withhold)}
    ordered = sorted(bands, key=lambda b: b.min_total, reverse=True)  # classify's order (stable)
    missed: list[BandCheck] = []
    reached: BandCheck | None = None
    for band in ordered:
        check = _check(band, total, group_pcts, floors, met, allowed)
        if code is not None and band.code == code and check.reached:
            reached = check
            break
        missed.append(check)
    return BandReason(code, total, reached, tuple(missed), eff, met, criteria[1] if criteria else None)
