"""One 64-bit signature per result row, computed from columns without building the rows.

A recompute after one change moves a few rows out of 100,000: building every row's dict (and its
explanation) only to find that most are unchanged costs more than the rest of the computation
(issue 18). :func:`scoring.campaign.compute_campaign` therefore gives each row a signature of
everything its dict is made of — numeric columns mixed with numpy, the rare structured parts
(caps, roll-up, overrides, conditions) hashed one by one — and the writer builds only the rows
whose signature differs from the stored one.

The signatures are deterministic across processes and machines (no ``hash()``, which Python
salts per process), so they can be stored next to the rows and compared by any worker. Equal
signatures mean equal rows but for a 2⁻⁶⁴ chance; unequal signatures for equal rows would only
cost a needless rewrite.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from json.encoder import encode_basestring  # (what json.dumps uses for strings with ensure_ascii=False)
from typing import Any

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, element-wise (uint64 arithmetic wraps)."""
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=repr, allow_nan=True)


def object_hash(obj: Any) -> int:
    """A stable 64-bit hash of a JSON-like value (as the row stores it: JSON, keys in order)."""
    return text_hash(_dumps(obj))


def list_text(items: Sequence[Any]) -> str:
    """The JSON text :func:`object_hash` writes for the list ``items``, item by item: None and lists or
    tuples of strings (a row's caps, its award) without ``json.dumps``' per-call cost, which at 10,000
    rows with structured parts was most of the signatures' time (issue 18); anything else by ``json.dumps``."""
    out = []
    for v in items:
        if v is None:
            out.append("null")
        elif type(v) in (list, tuple) and all(type(x) is str for x in v):
            out.append("[" + ",".join(map(encode_basestring, v)) + "]")
        else:
            out.append(_dumps(v))
    return "[" + ",".join(out) + "]"


def _bits(column: Any) -> np.ndarray:
    """A column as uint64 bit patterns of float64 (ints, bools and ids as floats, None as NaN), so a
    column has the same bits whether or not one of its values happens to be None."""
    arr = np.asarray(column)
    if arr.dtype == object:  # (float(v) of each value by numpy's cast, not a Python loop)
        arr = arr.reshape(-1)
        none = np.fromiter((v is None for v in arr), dtype=bool, count=arr.size)
        arr = np.where(none, np.nan, np.where(none, 0.0, arr).astype(np.float64))
    return np.ascontiguousarray(arr, dtype=np.float64).view(np.uint64)


def text_hash(text: str) -> int:
    """:func:`object_hash` of a value whose JSON text (as ``object_hash`` writes it, e.g. :func:`list_text`) is given."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def row_signatures(n: int, columns: Iterable[Any], sparse: Mapping[int, Any], seed: Any,
                   hashed: Mapping[int, int] | None = None) -> np.ndarray:
    """Per row: a hash of ``seed`` (what every row shares), each column's value in that row, and
    ``sparse[row]`` where present (the row's structured parts, JSON-like; or their :func:`object_hash`
    already computed, in ``hashed``, for rows not in ``sparse``). Returns int64 (as stored)."""
    h = np.full(n, np.uint64(object_hash(seed)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k, col in enumerate(columns, start=1):
            h = _mix(h ^ (_bits(col) + _GOLDEN * np.uint64(k)))
        if sparse or hashed:
            hashed = hashed or {}
            extra = np.zeros(n, dtype=np.uint64)
            count = len(sparse) + len(hashed)
            rows = np.fromiter((*sparse.keys(), *hashed.keys()), dtype=np.int64, count=count)
            extra[rows] = np.fromiter((*(object_hash(v) for v in sparse.values()), *hashed.values()),
                                      dtype=np.uint64, count=count)
            h = _mix(h ^ (extra + _GOLDEN))
    return h.view(np.int64)


__all__ = ["list_text", "object_hash", "row_signatures", "text_hash"]
