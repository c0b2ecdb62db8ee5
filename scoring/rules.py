"""Points of one indicator value under its rule, plus number parsing.

Each rule kind is its own type (:data:`scoring.framework.Rule` is their union); adding a
kind is one dataclass and one branch of :func:`raw_points`.

Decisions where the format doc is silent:

* Missing value (``None`` or empty string) -> 0 points, status ``missing``; for
  a ``judged`` rule it is status ``judged_pending`` (judges still to decide).
* "Not applicable" (:data:`NA` or the string ``"NA"``) gives *full* points to a
  regular indicator (as provinces do) but 0 to bonus/penalty rules (no bonus is
  earned, no deduction is made). With a :class:`Node` that has
  ``na_allowed: false`` it is status ``invalid`` and 0 points; a bare
  :class:`Rule` trusts the caller.
* Unparseable values, negative counts and unknown level codes -> status
  ``invalid``, 0 points.
* ``manual`` takes the value as points and clamps it into range.
* Points are kept on a 1e-9 grid (:func:`round_points`, numpy rounding shared with the vector
  path); figures are rounded once, to two decimals, where shown (:func:`shown`).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

from .framework import BandedRule, BonusRule, CountRule, JudgedRule, LinearRule, Node, PenaltyRule, Rule, TargetRule, YesNoRule


class _NotApplicable:
    """Singleton marker for "không áp dụng" (not applicable)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"

    def __reduce__(self):
        return (_NotApplicable, ())


NA = _NotApplicable()


def is_na(value: Any) -> bool:
    """True for the :data:`NA` sentinel or the string ``"NA"`` (any case, trimmed)."""
    return value is NA or (isinstance(value, str) and value.strip().upper() == "NA")


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


# Internal precision: every figure is kept on a 1e-9 grid ("exact" for points typed with a few
# decimals and judges' means of up to ~100 marks); sums of grid values are re-quantised, so the
# order of summation (SQL, numpy, Python) never changes a bit. Figures are rounded ONCE, to
# SHOWN_DECIMALS, where they are shown, ranked and banded (see :func:`shown`).
DECIMALS = 9
_SCALE = 10.0 ** DECIMALS
SHOWN_DECIMALS = 2


def round_points(x: float) -> float:
    """Quantise to the internal 1e-9 grid exactly like the vector path (``numpy.round``), bit for bit.

    numpy rounds as ``rint(x * 10**9) / 10**9``; Python's ``round`` is the same
    round-half-even on the same product and far cheaper than ``np.round`` on one float
    (a recompute rounds tens of thousands of scalars). The zero keeps numpy's sign.
    """
    y = float(x) * _SCALE
    if not math.isfinite(y):
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.round(x, DECIMALS))
    r = round(y) / _SCALE
    return math.copysign(0.0, y) if r == 0 else r


def shown(x: float, decimals: int = SHOWN_DECIMALS) -> float:
    """The figure as displayed: half away from zero at ``decimals``, computed on the 1e-9 grid.

    Integer arithmetic on the grid, so 89.999999999 and 90 both show (and rank) as 90.00, and a
    half-way 4.445 is 4.45 whatever its binary neighbourhood. Totals, ranks and bands compare
    these figures: two units showing the same total are tied.
    """
    n = round(float(x) * _SCALE)
    unit = 10 ** (DECIMALS - decimals)
    q = (abs(n) + unit // 2) // unit
    return math.copysign(q / 10 ** decimals, n) if q else 0.0


@dataclass(frozen=True)
class PointResult:
    points: float
    status: str  # scored | missing | not_applicable | judged_pending | invalid
    detail: str = ""


# --------------------------------------------------------------------------- number parsing

_DIGITS = re.compile(r"^\d+$")
_GROUP_TAIL = re.compile(r"^\d{3}$")
_SPACES = ("\u00a0", "\u202f", "\u2009", " ")


def _check_groups(parts: list[str], text: str) -> None:
    if not (1 <= len(parts[0]) <= 3 and _DIGITS.match(parts[0])) or parts[0].startswith("0") and len(parts[0]) > 1:
        raise ValueError(f"not a number: {text!r} (bad thousands grouping)")
    for p in parts[1:]:
        if not _GROUP_TAIL.match(p):
            raise ValueError(f"not a number: {text!r} (thousands groups must have 3 digits)")


def parse_number(text: str) -> float:
    """Parse a Vietnamese ("1.234,5") or international ("1,234.5") number.

    Rules: with both separators the last one is the decimal mark and the other
    groups thousands; one separator repeated groups thousands ("1.234.567");
    one separator once is a decimal mark ("1234,5") *unless* exactly 3 digits
    follow and 1–3 non-zero-leading digits precede it ("1.234", "12,500"), which
    is ambiguous (1234 or 1.234) and refused — ask the user to write "1234" or
    "1,234" explicitly. "0,125" is not ambiguous (no thousands group starts with 0).
    Spaces between thousands groups are accepted. Sign prefix allowed; no exponents.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ValueError(f"not a finite number: {text!r}")
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"not a number: {text!r}")
    # Full-width digits and separators (some IMEs) become ASCII; digits of other scripts
    # (Arabic-Indic "٣", …) are refused rather than silently read (Python's float accepts them).
    s = unicodedata.normalize("NFKC", text).strip()
    if not s.isascii():
        raise ValueError(f"not a number: {text!r}")
    sign = 1.0
    if s and s[0] in "+-":
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:].strip()
    for sp in _SPACES:
        if sp in s:
            parts = s.split(sp)
            head = parts[-1].replace(",", ".").split(".")[0]
            if (not re.match(r"^\d{1,3}$", parts[0]) or not _GROUP_TAIL.match(head)
                    or any(not _GROUP_TAIL.match(p) for p in parts[1:-1])):
                raise ValueError(f"not a number: {text!r} (bad spacing)")
            s = "".join(parts)
    if not s or not re.match(r"^[\d.,]+$", s) or not s[0].isdigit() or not s[-1].isdigit():
        raise ValueError(f"not a number: {text!r}")
    dots, commas = s.count("."), s.count(",")
    if dots == 0 and commas == 0:
        return sign * float(s)
    if dots and commas:
        dec = "." if s.rfind(".") > s.rfind(",") else ","
        thou = "," if dec == "." else "."
        if s.count(dec) != 1:
            raise ValueError(f"not a number: {text!r} (decimal mark {dec!r} appears twice)")
        int_part, frac = s.split(dec)
        if thou in frac:
            raise ValueError(f"not a number: {text!r}")
        _check_groups(int_part.split(thou), text)
        if not _DIGITS.match(frac):
            raise ValueError(f"not a number: {text!r}")
        return sign * float(int_part.replace(thou, "") + "." + frac)
    sep = "." if dots else ","
    parts = s.split(sep)
    if len(parts) > 2:
        _check_groups(parts, text)
        return sign * float("".join(parts))
    int_part, frac = parts
    if len(frac) == 3 and 1 <= len(int_part) <= 3 and not int_part.startswith("0"):
        raise ValueError(
            f"ambiguous number: {text!r} could be {int_part}{frac} or {int_part}.{frac}; "
            "write it without the separator or with both thousands and decimal marks")
    return sign * float(int_part + "." + frac)


_GROUPED_WHOLE = re.compile(r"^([+-]?)([1-9]\d{0,2})([.,])(\d{3})((?:\3\d{3})*)$")


def whole_number_text(text: str) -> str:
    """A whole number typed with thousands groups ("1.234", "1,234", "12.345.678") as plain digits.

    For a value that must be whole (a count of households, violations…) "1.234" can only mean
    one thousand two hundred thirty-four: :func:`parse_number` refuses it as ambiguous because
    it cannot know the value is whole. Anything else is returned as given.
    """
    s = unicodedata.normalize("NFKC", text).strip() if isinstance(text, str) else text
    m = _GROUPED_WHOLE.match(s) if isinstance(s, str) else None
    if m is None:
        return text
    sign, head, sep, first, rest = m.groups()
    return sign + head + first + rest.replace(sep, "")


# --------------------------------------------------------------------------- value coercion

_YES = {"yes", "y", "true", "1", "có", "co", "đạt", "dat", "x"}
_NO = {"no", "n", "false", "0", "không", "khong", "chưa", "chua", "không đạt", "khong dat"}


def to_bool(value: Any) -> bool:
    """Coerce yes/no answers (bool, 0/1, yes/no, có/không); ``ValueError`` otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        v = value.strip().lower()
        if v in _YES:
            return True
        if v in _NO:
            return False
    raise ValueError(f"not a yes/no value: {value!r}")


def to_number(value: Any) -> float:
    """Numbers pass through; strings go through :func:`parse_number`."""
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    return parse_number(value)


# --------------------------------------------------------------------------- rule functions
# Each takes (rule, value, max_points) with a present, applicable value and
# returns unclamped points; ValueError means the value is invalid.

def _count_value(value: Any) -> float:
    v = to_number(value)
    if v < 0:
        raise ValueError(f"negative count: {v:g}")
    return v


def raw_points(rule: Rule, value: Any, mp: float) -> float:
    """Unclamped points of a present, applicable ``value`` under ``rule`` (one branch per rule type)."""
    if isinstance(rule, TargetRule):
        v = to_number(value)
        return mp if (v >= rule.target if rule.dir == "higher" else v <= rule.target) else 0.0
    if isinstance(rule, LinearRule):
        frac = (to_number(value) - rule.floor) / (rule.target - rule.floor)  # same formula both directions
        return mp * min(max(frac, 0.0), 1.0)
    if isinstance(rule, BandedRule):
        v, pts = to_number(value), 0.0
        for b in rule.bands:
            if b.from_ > v:
                break
            pts = b.points
        return pts
    if isinstance(rule, YesNoRule):
        yes = rule.yes_points if rule.yes_points is not None else mp
        no = rule.no_points if rule.no_points is not None else 0.0
        return yes if to_bool(value) else no
    if isinstance(rule, CountRule):
        return min(_count_value(value) * rule.per_item, rule.cap if rule.cap is not None else mp, mp)
    if isinstance(rule, BonusRule):
        return min(_count_value(value) * rule.per_item, mp)
    if isinstance(rule, PenaltyRule):
        return -min(_count_value(value) * rule.per_item, mp)
    if isinstance(rule, JudgedRule):
        level = rule.level_points(str(value).strip())
        if level is None:
            raise ValueError(f"unknown level {value!r}")
        return level
    if rule.kind == "info":
        to_number(value)  # information only: a number, no points
        return 0.0
    return to_number(value)  # ManualRule: the value is the points


def clamp_round(x: float, lo: float, hi: float) -> float:
    """Clamp, quantise to the 1e-9 grid, clamp again (a bound with >9 decimals must still hold)."""
    return min(max(round_points(min(max(x, lo), hi)), lo), hi)


def clamp_points(kind: str, points: float, max_points: float) -> float:
    """Clamp into ``[0, max]`` (``[-max, 0]`` for penalty rules) and round."""
    lo, hi = (-max_points, 0.0) if kind == "penalty" else (0.0, max_points)
    return clamp_round(points, lo, hi)


def na_points(rule_kind: str, group_kind: str, max_points: float) -> float:
    """Points for "not applicable": full for regular indicators, none for bonus/penalty."""
    if rule_kind in ("bonus", "penalty") or group_kind in ("bonus", "penalty"):
        return 0.0
    return max_points


def indicator_points(node_or_rule: Node | Rule, value: Any, max_points: float | None = None) -> PointResult:
    """Points of ``value`` under a node's (or bare rule's) rule, clamped and rounded.

    ``max_points`` defaults to the node's; it is required with a bare :class:`Rule`.
    """
    if isinstance(node_or_rule, Node):
        node: Node | None = node_or_rule
        rule = node_or_rule.rule
        if rule is None:
            raise ValueError(f"{node_or_rule.code}: node has no rule")
        mp = node_or_rule.max_points if max_points is None else float(max_points)
        group_kind = node_or_rule.kind
    else:
        node, rule = None, node_or_rule
        if max_points is None:
            raise ValueError("max_points is required with a bare Rule")
        mp = float(max_points)
        group_kind = "regular"
    if is_na(value):
        if node is not None and not (node.na_allowed or node.na_inherited):  # or through an N/A criterion
            return PointResult(0.0, "invalid", "not applicable is not allowed for this indicator")
        pts = clamp_points(rule.kind, na_points(rule.kind, group_kind, mp), mp)
        return PointResult(pts, "not_applicable", f"not applicable: {pts:g} points")
    if is_missing(value):
        if rule.kind == "judged":
            return PointResult(0.0, "judged_pending", "awaiting judges")
        return PointResult(0.0, "missing", "no value")
    try:
        raw = raw_points(rule, value, mp)
    except (ValueError, TypeError) as exc:
        return PointResult(0.0, "invalid", str(exc))
    pts = clamp_points(rule.kind, raw, mp)
    detail = f"{rule.kind}: {raw:g}" + ("" if pts == round_points(raw) else f" clamped to {pts:g}")
    return PointResult(pts, "scored", detail)
