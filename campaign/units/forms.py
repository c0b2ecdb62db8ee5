"""Forms of the units feature: loading the official list."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField
from wtforms.validators import DataRequired, Optional

from ..forms import DayField, Form


class OfficialListForm(Form):
    province = SelectField(_l("Tỉnh, thành phố"), choices=[], validators=[DataRequired()])
    effective = DayField(_l("Có hiệu lực từ ngày"), validators=[Optional()])
    dry_run = BooleanField(_l("Chạy thử (chỉ xem trước, không lưu)"), default=True)
    confirm = HiddenField()
