"""Values an entry derives from what the officer typed: computed indicators and criterion-level N/A.

The save path stores them like typed values (issue 16), so every reader of the stored rows — the
SQL sums of the recompute, the ledger, the council's and the judges' pages — sees the same thing
the per-entry engine decided:

* a **computed indicator** gets a row whose ``raw``/``value_num`` is the computed value (empty when
  it cannot be computed) and whose points are the rule's on it;
* a **criterion marked N/A** gets a row on the criterion's own node (``is_na``), and every indicator
  below it a row with ``is_na`` (the engine accepts N/A there through the criterion:
  ``Node.na_inherited``). Un-marking the criterion clears the N/A of the sub-items that do not
  allow N/A themselves; the values typed before are kept throughout.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from campaign.extensions import db
from campaign.models import Unit
from scoring.expressions import to_text
from scoring.framework import Framework, Node
from scoring.rules import NA, is_missing, parse_number, whole_number_text
from scoring.values import UnitContext, resolve


def part_codes(fw: Framework) -> dict[str, Node]:
    """The criteria (non-leaf nodes) an officer may mark not applicable as a whole."""
    return {n.code: n for n in fw.walk() if not n.is_indicator and n.na_allowed}


def part_values(fw: Framework, posted: dict[str, dict]) -> dict[str, object]:
    """{criterion code: NA} for the criteria marked N/A in ``posted``."""
    return {code: NA for code in part_codes(fw) if (posted.get(code) or {}).get("na")}


def number_text(x: float) -> str:
    """A computed value as stored text that reads back as the same number (never an ambiguous "1.234")."""
    s = f"{x:.9f}".rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    whole, _dot, frac = s.partition(".")
    if len(frac) == 3 and 1 <= len(whole.lstrip("-")) <= 3 and not whole.lstrip("-").startswith("0"):
        s += "0"  # "1.234" would be refused as ambiguous (1234 or 1,234): "1.2340" is not
    return s


def formula(fw: Framework, node: Node, name: Callable[[dict], str], times: str = "×") -> str:
    """The computed indicator's formula with its operands' codes and names: "[1a] Số … / [1b] Tổng … × 100"."""
    if node.compute is None:
        return ""

    def named(code: str) -> str:
        try:
            return name(fw.node(code).name)
        except KeyError:
            return ""

    return to_text(node.compute.tree, named, times)


def same_number(fw: Framework, code: str, stored_raw: object, posted_raw: object) -> bool:
    """Whether a number typed differently ("85,2" / "85.2", "5" / "5,0") is the stored one unchanged."""
    if not stored_raw or not posted_raw or str(stored_raw).strip() == str(posted_raw).strip():
        return False
    try:
        node = fw.node(code)
        if node.value_type not in ("number", "percentage", "count"):
            return False
        return parse_number(str(stored_raw)) == parse_number(str(posted_raw))
    except (KeyError, ValueError):
        return False


def typed_raw(node: Node | None, raw: str) -> str:
    """A typed value as it is kept: a count's thousands groups ("1.234" households) as plain digits
    ("1234"), which the engine would otherwise refuse as ambiguous; anything else as typed."""
    if node is not None and node.value_type == "count" and isinstance(raw, str) and raw:
        return whole_number_text(raw)
    return raw


def typed_posted(fw: Framework, posted: dict[str, dict]) -> dict[str, dict]:
    """``posted`` with every value as :func:`typed_raw` keeps it (the preview shows what a save keeps)."""
    counts = {n.code: n for n in fw.indicators() if n.value_type == "count"}
    return {code: ({**item, "raw": typed_raw(counts[code], item.get("raw") or "")} if code in counts else item)
            for code, item in posted.items()}


def normalise_posted(fw: Framework, posted: dict[str, dict], stored: dict[str, dict]) -> dict[str, dict]:
    """``posted`` as the save path should compare it: the sub-items of a criterion (posted or stored as)
    N/A are N/A, and computed indicators are left to :func:`derive` (whatever a client sent for them)."""
    parts = part_codes(fw)
    state = {c: bool((posted.get(c) if c in posted else stored.get(c) or {}).get("na")) for c in parts}
    out = {}
    computed = {n.code for n in fw.indicators() if n.compute is not None}
    for code, item in typed_posted(fw, posted).items():
        if code in computed:  # its value is derived; only an explanation may be typed
            kept = stored.get(code) or {"raw": "", "na": False}
            item = {**item, "raw": kept.get("raw") or "", "na": bool(kept.get("na"))}
        elif same_number(fw, code, (stored.get(code) or {}).get("raw"), item.get("raw")):
            item = {**item, "raw": stored[code]["raw"]}  # "85,2" shown back for a stored "85.2" is no change
        out[code] = item
    for code, node in parts.items():
        if not state[code]:
            continue
        for leaf in node.walk():
            if leaf.is_indicator and leaf.code in out and leaf.compute is None:
                out[leaf.code] = {**out[leaf.code], "na": True}
    return out


def derive(fw: Framework, merged: dict[str, dict], engine_values: Callable[[Framework, dict], dict]) -> list[str]:
    """Bring the derived rows of ``merged`` ({code: {raw, na, explanation}}) up to date; the codes changed."""
    changed: list[str] = []
    parts = part_codes(fw)
    marked = {c for c in parts if (merged.get(c) or {}).get("na")}
    under: set[str] = set()
    for code in marked:
        under |= {n.code for n in parts[code].walk() if n.is_indicator}
    empty = {"raw": "", "na": False, "explanation": ""}
    for n in fw.indicators():
        item = merged.get(n.code)
        if n.code in under and not (item or {}).get("na"):
            merged[n.code] = {**(item or empty), "na": True}
            changed.append(n.code)
        elif n.code not in under and item and item.get("na") and not n.na_allowed and n.na_inherited:
            merged[n.code] = {**item, "na": False}  # the criterion above it is no longer N/A
            changed.append(n.code)
    resolved = resolve(fw, engine_values(fw, merged))
    for n in fw.indicators():
        if n.compute is None or n.code in under:
            continue
        v = resolved.values.get(n.code)
        raw = "" if v is None or is_missing(v) else number_text(float(v))  # type: ignore[arg-type]
        item = merged.get(n.code) or empty
        if item.get("raw", "") != raw or item.get("na"):
            merged[n.code] = {**item, "raw": raw, "na": False}
            if n.code not in changed:
                changed.append(n.code)
    return changed


def unit_context(unit_id: int | None) -> UnitContext | None:
    """What unit-dependent targets read about a unit: its kind and its province's (level-1 ancestor's) GSO code."""
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return None
    top, hops = unit, 0
    while top.parent is not None and hops < 10:
        top, hops = top.parent, hops + 1
    return UnitContext(unit.kind, top.code if top.level == 1 else None)


def unit_contexts(unit_ids) -> dict[int, UnitContext]:
    """:func:`unit_context` of many units, set-based (one query per level of ancestors)."""
    ids = {int(u) for u in unit_ids if u is not None}
    rows: dict[int, tuple] = {}
    todo = set(ids)
    for _level in range(6):
        todo -= set(rows)
        if not todo:
            break
        for uid, kind, parent, level, code in db.session.execute(
                sa.select(Unit.id, Unit.kind, Unit.parent_id, Unit.level, Unit.code).where(Unit.id.in_(todo))).all():
            rows[uid] = (kind, parent, level, code)
        todo = {r[1] for r in rows.values() if r[1] is not None} - set(rows)
    out = {}
    for uid in ids:
        if uid not in rows:
            continue
        top, hops = rows[uid], 0
        while top[1] is not None and top[1] in rows and hops < 10:
            top, hops = rows[top[1]], hops + 1
        out[uid] = UnitContext(rows[uid][0], top[3] if top[2] == 1 else None)
    return out


def with_operands(fw: Framework, codes: set[str]) -> set[str]:
    """``codes`` plus the operands of the computed indicators among them (transitively): asking a unit to
    clarify a computed value opens the values it is computed from."""
    out, todo = set(codes), list(codes)
    while todo:
        try:
            node = fw.node(todo.pop())
        except KeyError:
            continue
        for r in (node.compute.operands if node.compute is not None else ()):
            if r not in out:
                out.add(r)
                todo.append(r)
    return out
