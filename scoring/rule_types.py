"""The scoring rules of indicators: one frozen type per rule kind (a tagged union on ``kind``).

Each kind carries exactly the parameters it needs, so the type checker can prove the engine
(``mypy`` on ``scoring/``). Parsed from and dumped to documents by :mod:`scoring.framework`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .unit_params import ParamTable


@dataclass(frozen=True)
class Band:
    """One step of a ``banded`` rule: ``points`` from ``from_`` upwards."""

    from_: float
    points: float


@dataclass(frozen=True)
class Level:
    """One level of a ``judged`` rule (e.g. good / fair / weak)."""

    code: str
    points: float
    descriptor: dict = field(default_factory=dict)


class _Directed:
    """Shared by the rules that compare a value with a target."""

    direction: str | None

    @property
    def dir(self) -> str:
        """Effective direction (``higher`` unless stated)."""
        return self.direction or "higher"


@dataclass(frozen=True)
class TargetRule(_Directed):
    """Full points when the value reaches ``target`` (from above with direction ``lower``)."""

    target: float
    direction: str | None = None
    kind: Literal["target"] = "target"
    tables: tuple[ParamTable, ...] = ()  # unit-dependent target (scoring.unit_params); ``target`` = its default


@dataclass(frozen=True)
class LinearRule(_Directed):
    """Points grow linearly from 0 at ``floor`` to the maximum at ``target``."""

    floor: float
    target: float
    direction: str | None = None
    kind: Literal["linear"] = "linear"
    tables: tuple[ParamTable, ...] = ()  # unit-dependent floor/target; the plain fields hold the defaults


@dataclass(frozen=True)
class BandedRule:
    """The points of the highest band whose ``from_`` the value reaches."""

    bands: tuple[Band, ...]
    kind: Literal["banded"] = "banded"


@dataclass(frozen=True)
class YesNoRule:
    """``yes_points`` (default: the maximum) for yes, ``no_points`` (default 0) for no."""

    yes_points: float | None = None
    no_points: float | None = None
    kind: Literal["yes_no"] = "yes_no"


@dataclass(frozen=True)
class CountRule:
    """``per_item`` points per item, up to ``cap`` (and the maximum)."""

    per_item: float
    cap: float | None = None
    kind: Literal["count"] = "count"


@dataclass(frozen=True)
class BonusRule:
    """``per_item`` bonus points per item, up to the maximum."""

    per_item: float
    kind: Literal["bonus"] = "bonus"


@dataclass(frozen=True)
class PenaltyRule:
    """``per_item`` points deducted per item, down to minus the maximum."""

    per_item: float
    kind: Literal["penalty"] = "penalty"


@dataclass(frozen=True)
class JudgedRule:
    """Judges (or the officer's choice) pick one of ``levels``; its points count."""

    levels: tuple[Level, ...]
    kind: Literal["judged"] = "judged"

    def level_points(self, code: str) -> float | None:
        for lv in self.levels:
            if lv.code == code:
                return lv.points
        return None


@dataclass(frozen=True)
class ManualRule:
    """The value typed is the points (clamped into range)."""

    kind: Literal["manual"] = "manual"


@dataclass(frozen=True)
class InfoRule:
    """Information only (max_points 0): the value feeds computed indicators and conditions, scores nothing."""

    kind: Literal["info"] = "info"


# Scoring rule of an indicator: one type per kind (a tagged union on ``kind``), so each kind
# carries exactly the parameters it needs and the type checker can prove the engine.
Rule = (TargetRule | LinearRule | BandedRule | YesNoRule | CountRule | BonusRule | PenaltyRule | JudgedRule | ManualRule
        | InfoRule)


def make_rule(kind: str, **params: Any) -> Rule:
    """A rule of ``kind`` from its parameters (as named in the document; ``bands``/``levels`` as tuples)."""
    cls = _RULE_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown rule kind {kind!r}")
    return cls(**params)


_RULE_TYPES: dict[str, Any] = {"target": TargetRule, "linear": LinearRule, "banded": BandedRule, "yes_no": YesNoRule,
                               "count": CountRule, "bonus": BonusRule, "penalty": PenaltyRule, "judged": JudgedRule,
                               "manual": ManualRule, "info": InfoRule}
