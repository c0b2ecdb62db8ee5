"""Forms of the commission's reporting pages (bulk values import, clarification request)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import Form


class WorkbookImportForm(Form):
    workbook = FileField(_l("Tệp Excel (.xlsx) nhiều đơn vị"))


class ClarifyForm(Form):
    codes = StringField(_l("Chỉ tiêu cần giải trình"), validators=[Optional(), Length(max=2000)])
    message = TextAreaField(_l("Nội dung"), validators=[DataRequired(), Length(max=5000)])

    def code_list(self) -> list[str]:
        """Indicator codes typed with commas or semicolons between them."""
        return [c.strip() for c in (self.codes.data or "").replace(";", ",").split(",") if c.strip()]
