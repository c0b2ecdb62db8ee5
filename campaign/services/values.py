"""How an indicator value is stored in IndicatorValue columns, and read back for the engine.

Convention (see the model): numbers, percentages, counts and yes/no (1/0) go to
``value_num``; choice codes, judged levels, dates and text go to ``value_text``;
"not applicable" sets ``is_na``; ``raw`` keeps what the user typed, for redisplay.
"""
from __future__ import annotations

from typing import Any

from scoring.framework import Node
from scoring.rules import NA, is_na

NUMERIC_TYPES = ("number", "percentage", "count")


def to_columns(node: Node, value: Any, raw: str | None = None) -> dict:
    if is_na(value):
        return {"raw": raw or "NA", "value_num": None, "value_text": None, "is_na": True}
    if value is None or value == "":
        return {"raw": raw, "value_num": None, "value_text": None, "is_na": False}
    if node.value_type == "yes_no":
        num = 1.0 if value in (True, 1, "1", "yes", "true", "có", "Có") else 0.0
        return {"raw": raw if raw is not None else ("yes" if num else "no"), "value_num": num,
                "value_text": None, "is_na": False}
    if node.value_type in NUMERIC_TYPES or (node.value_type is None and isinstance(value, (int, float))):
        return {"raw": raw if raw is not None else _fmt(value), "value_num": float(value),
                "value_text": None, "is_na": False}
    return {"raw": raw if raw is not None else str(value), "value_num": None, "value_text": str(value),
            "is_na": False}


def from_columns(node: Node, value_num: float | None, value_text: str | None, is_na_flag: bool) -> Any:
    """The engine's value for a stored row (None = missing)."""
    if is_na_flag:
        return NA
    if node.value_type == "yes_no":
        return None if value_num is None else bool(value_num)
    if value_num is not None:
        return value_num
    return value_text


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
