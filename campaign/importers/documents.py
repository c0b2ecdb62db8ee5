"""Bounded reading of uploaded YAML and JSON documents (framework files, GeoJSON boundaries).

Two small files can cost far more than their size: YAML aliases expand on load (7 levels
of 10 aliases in ~1 KB became a 72 MB framework document), and deeply nested JSON or YAML
(``[[[[…]]]]``) exhausts Python's recursion (a RecursionError, i.e. a 500). So before a
document is built: its size is bounded, YAML aliases are refused (a framework never needs
them; the shipped templates have none), nesting depth is counted without recursion, and
values JSON cannot hold (NaN, infinities, binary, sets) are refused — dates become ISO text —
so what we store is plain JSON on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from flask_babel import gettext as _

from . import ImportFormatError
from .sheets import number_text


@dataclass(frozen=True)
class DocLimits:
    max_bytes: int
    max_depth: int  # nested mappings/lists, the document itself being 1


# Framework files: the largest template (ntm-2016.yaml) is 34 KB and 11 levels deep.
FRAMEWORK_LIMITS = DocLimits(max_bytes=1 * 2**20, max_depth=32)
# District boundaries of a province: a FeatureCollection is 8 levels deep (MultiPolygon).
GEOJSON_LIMITS = DocLimits(max_bytes=8 * 2**20, max_depth=16)

# a JSON string (unrolled loop: linear time) or one bracket
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _text(data: str | bytes, limits: DocLimits) -> str:
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > limits.max_bytes:
        raise ImportFormatError(_("Tệp quá lớn (tối đa %(kb)s KB); không có gì được lưu.",
                                  kb=number_text(limits.max_bytes // 1024)))
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFormatError(_("Tệp phải được lưu với bảng mã UTF-8.")) from None
    if "\x00" in data:
        raise ImportFormatError(_("Tệp chứa ký tự NUL: đây không phải tệp văn bản."))
    return data


def _too_deep(limits: DocLimits) -> ImportFormatError:
    return ImportFormatError(_("Tài liệu lồng nhau quá sâu (tối đa %(n)s cấp); không có gì được lưu.", n=limits.max_depth))


def _plain(value: Any) -> Any:
    """The document as JSON can hold it (recursion is safe: the depth is already bounded)."""
    if isinstance(value, dict):
        return {_key(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ImportFormatError(_("Tệp chứa số không hữu hạn (NaN hoặc vô cực); hãy sửa thành một số."))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ImportFormatError(_("Tệp chứa kiểu dữ liệu không được hỗ trợ (chỉ văn bản, số, danh sách và bảng)."))


def _key(key: Any) -> str:
    """YAML allows keys such as ``1:`` or ``2019-01-01:``; JSON objects need text."""
    if isinstance(key, (dt.date, dt.datetime)):
        return key.isoformat()
    if key is None or isinstance(key, (str, int, float, bool)):
        return str(key)
    raise ImportFormatError(_("Tệp chứa khóa không phải văn bản."))


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and counts depth while composing (the composer recurses)."""

    max_depth = 32

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ImportFormatError(_("Tệp YAML dùng bí danh (*%(name)s, dòng %(line)s); hãy viết đầy đủ nội dung, "
                                      "không dùng & và *.", name=str(event.anchor)[:40], line=event.start_mark.line + 1))
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise ImportFormatError("depth")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml(data: str | bytes, limits: DocLimits = FRAMEWORK_LIMITS) -> Any:
    """A YAML document within ``limits``; ImportFormatError with a readable message otherwise."""
    text = _text(data, limits)
    loader = None
    try:
        loader = type("Loader", (_BoundedLoader,), {"max_depth": limits.max_depth})(text)  # reads: may refuse
        doc = loader.get_single_data()
    except ImportFormatError as exc:
        if exc.message == "depth":
            raise _too_deep(limits) from None
        raise
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = _(" (dòng %(line)s)", line=mark.line + 1) if mark is not None else ""
        raise ImportFormatError(_("Không đọc được tệp YAML%(where)s: cú pháp không hợp lệ.", where=where)) from None
    except (ValueError, TypeError, OverflowError):  # e.g. an integer of 5,000 digits, a bad timestamp
        raise ImportFormatError(_("Không đọc được tệp YAML: có giá trị không hợp lệ.")) from None
    finally:
        if loader is not None:
            loader.dispose()
    return _plain(doc)


def _check_json_depth(text: str, limits: DocLimits) -> None:
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > limits.max_depth:
                raise _too_deep(limits)
        elif token in "]}":
            depth -= 1


def _no_constant(name: str):
    raise ValueError(name)


def load_json(data: str | bytes, limits: DocLimits) -> Any:
    """A JSON document within ``limits`` (standard JSON: no NaN/Infinity)."""
    text = _text(data, limits)
    _check_json_depth(text, limits)
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except ValueError as exc:  # JSONDecodeError, NaN, an integer of 5,000 digits
        line = getattr(exc, "lineno", None)
        where = _(" (dòng %(line)s)", line=line) if line else ""
        raise ImportFormatError(_("Không đọc được tệp JSON%(where)s: cú pháp không hợp lệ.", where=where)) from None
    return _plain(doc)


__all__ = ["FRAMEWORK_LIMITS", "GEOJSON_LIMITS", "DocLimits", "load_json", "load_yaml"]
