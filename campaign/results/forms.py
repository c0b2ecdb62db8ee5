"""Forms of the results pages (publish, mid-term publish, recompute, what-if, the table's query)."""
from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from campaign.params import IntField

from ..forms import Form

MAX_PAGE = 100_000


class PublishForm(Form):
    label = StringField(_l("Nhãn đợt công bố"), validators=[Optional(), Length(max=200)])
    confirmed = BooleanField()  # set by the confirmation page's button (publish_check)


class RecomputeForm(Form):
    pass


class TableQuery(Form):
    """GET query of the provisional table: level and page (bounded; a bad value falls back)."""

    class Meta:
        csrf = False

    level = IntField(validators=[Optional()], lo=1, hi=9)
    page = IntField(validators=[Optional()], lo=1, hi=MAX_PAGE, default=1)


class ExportQuery(Form):
    """GET query of an export: format and, for a published run, its id."""

    class Meta:
        csrf = False

    format = SelectField(choices=[("csv", "CSV"), ("xlsx", "XLSX")], default="csv")
    run = IntField(validators=[Optional()], lo=1)


WEIGHT = re.compile(r"([^\s=,;]+)\s*=\s*([-+]?\d+(?:[.,]\d+)?)(?![\d.,]*\d)")


def parse_weights(text: str | None) -> dict[str, float]:
    """``"I=1,2; II=0,8"`` or ``"I=1.2, II=0.8"`` → {"I": 1.2, "II": 0.8}; ValueError names the bad part.

    A decimal comma is part of the number ("I=1,2, II=0,8" is 1.2 and 0.8, never I=1 and II=0)."""
    out, text = {}, text or ""
    for m in WEIGHT.finditer(text):
        out[m.group(1)] = float(m.group(2).replace(",", "."))
    rest = WEIGHT.sub(" ", text).strip(" ,;")
    if rest:
        raise ValueError(_("Trọng số không hợp lệ: %(part)s", part=rest.split()[0].strip(",;")))
    return out


class WhatIfForm(Form):
    """GET form: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    aggregation = SelectField(_l("Tổng hợp điểm giám khảo"), choices=[
        ("mean", _l("Trung bình")), ("median", _l("Trung vị")), ("trimmed_mean", _l("Trung bình bỏ cao nhất, thấp nhất"))])
    normalise = BooleanField(_l("Chuẩn hoá điểm giám khảo (z-score)"))
    weights = StringField(_l("Trọng số nhóm (vd: I=1,2; II=0,8)"), validators=[Optional(), Length(max=300)])

    def validate_weights(self, field: StringField) -> None:
        try:
            parse_weights(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    def override(self) -> dict:
        """The settings to try, from a validated form."""
        override = {"aggregation": self.aggregation.data or "mean", "normalise": bool(self.normalise.data)}
        weights = parse_weights(self.weights.data)
        if weights:
            override["weights"] = weights
        return override
