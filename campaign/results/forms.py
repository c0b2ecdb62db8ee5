"""Forms of the results pages (publish, mid-term publish, what-if)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional


class PublishForm(FlaskForm):
    label = StringField(_l("Nhãn đợt công bố"), validators=[Optional(), Length(max=200)])


class RecomputeForm(FlaskForm):
    pass


class WhatIfForm(FlaskForm):
    """GET form: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    aggregation = SelectField(_l("Tổng hợp điểm giám khảo"), choices=[
        ("mean", _l("Trung bình")), ("median", _l("Trung vị")), ("trimmed_mean", _l("Trung bình bỏ cao nhất, thấp nhất"))])
    normalise = BooleanField(_l("Chuẩn hoá điểm giám khảo (z-score)"))
    weights = StringField(_l("Trọng số nhóm (vd: I=1.2, II=0.8)"), validators=[Optional(), Length(max=300)])
