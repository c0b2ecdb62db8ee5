"""Forms of the judging pages (Flask-WTF: CSRF, lengths, choices; domain rules live in the services).

No field carries a browser ``required`` attribute: the browser's own bubble is English in the
Vietnamese UI and would block "Lưu nháp" for a rule that only a final submit has. What is
missing is said by the server, next to the field, in the user's language.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from campaign.params import MAX_INT, IntField
from scoring.framework import Framework

from ..forms import Form


class Filled:
    """Like InputRequired, without the ``required`` flag (no English browser bubble)."""

    def __init__(self, message: str):
        self.message = message

    def __call__(self, form, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(self.message)


def points_name(code: str) -> str:
    return f"points-{code}"


def comment_name(code: str) -> str:
    return f"comment-{code}"


def public_name(code: str) -> str:
    return f"public-{code}"


class CsrfForm(Form):
    """A button that changes state: only the CSRF token is posted."""


def build_score_form(fw: Framework, formdata=None, data: dict | None = None) -> Form:
    """points-/comment-/public-<code> for every indicator, and the pressed button (``action``)."""

    class ScoreForm(Form):
        action = HiddenField(default="save")

        def marks(self) -> dict[str, tuple[str, str, bool]]:
            """{code: (typed points, comment, public)} as posted."""
            return {node.code: ((self[points_name(node.code)].data or "").strip(),
                                (self[comment_name(node.code)].data or "").strip(),
                                bool(self[public_name(node.code)].data))
                    for node in fw.indicators()}

    for node in fw.indicators():
        # typed as text: "12,5" is a Vietnamese number; levels arrive as their points
        setattr(ScoreForm, points_name(node.code), StringField(validators=[Optional(), Length(max=40)]))
        setattr(ScoreForm, comment_name(node.code), TextAreaField(validators=[Optional(), Length(max=5000)]))
        setattr(ScoreForm, public_name(node.code), BooleanField())
    kwargs = {"formdata": formdata} if formdata is not None else {}
    if data is not None:
        kwargs["data"] = data
    return ScoreForm(**kwargs)


class ConfirmSubmitForm(Form):
    """The second step of a submit: the digest of the marks the judge reviewed."""

    digest = HiddenField(validators=[Length(max=64)])


class ClarifyForm(Form):
    codes = SelectMultipleField(_l("Chỉ tiêu cần giải trình"), choices=[], validate_choice=False)
    message = TextAreaField(_l("Nội dung"), validators=[Filled(_l("Cần ghi nội dung yêu cầu giải trình.")),
                                                        Length(max=5000)])


class ConflictForm(Form):
    unit_id = SelectField(_l("Đơn vị"), coerce=int, choices=[])
    reason = TextAreaField(_l("Lý do"), validators=[Filled(_l("Cần nêu lý do xung đột lợi ích.")), Length(max=2000)])


class PanelAddForm(Form):
    judge_id = SelectField(_l("Thêm giám khảo"), coerce=int, choices=[])
    max_load = IntegerField(_l("Giới hạn số hồ sơ (để trống = không giới hạn)"),
                            validators=[Optional(), NumberRange(min=0, max=100000)])


class PanelCapForm(Form):
    max_load = IntegerField(_l("Giới hạn"), validators=[Optional(), NumberRange(min=0, max=100000)])


class ManualAssignForm(Form):
    entry_id = SelectField(_l("Hồ sơ"), coerce=int, choices=[], validate_choice=False)
    judge_id = SelectField(_l("Giám khảo"), coerce=int, choices=[], validate_choice=False)

    def validate_entry_id(self, field) -> None:
        if not 0 < (field.data or 0) <= MAX_INT:  # beyond a database integer: "not there", never an overflow
            raise ValidationError(_l("Hãy chọn hồ sơ và giám khảo."))

    def validate_judge_id(self, field) -> None:
        if not 0 < (field.data or 0) <= MAX_INT:
            raise ValidationError(_l("Hãy chọn hồ sơ và giám khảo."))


class ReassignForm(Form):
    judge_id = SelectField(_l("Giám khảo"), coerce=int, choices=[], validate_choice=False)
    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=2000)])

    def validate_judge_id(self, field) -> None:
        if not 0 < (field.data or 0) <= MAX_INT:
            raise ValidationError(_l("Hãy chọn một giám khảo."))


class UnassignForm(Form):
    reason = StringField(_l("Lý do"), validators=[Optional(), Length(max=2000)])


class ReopenForm(Form):
    reason = TextAreaField(_l("Lý do mở lại"), validators=[Filled(_l("Cần nêu lý do mở lại.")), Length(max=2000)])


class OverrideForm(Form):
    target = SelectField(_l("Mục"), choices=[])
    points = StringField(_l("Điểm"), validators=[Filled(_l("Cần nhập điểm.")), Length(max=40)])
    reason = TextAreaField(_l("Lý do (bắt buộc)"), validators=[Filled(_l("Cần nêu lý do điều chỉnh điểm.")),
                                                              Length(max=2000)])


class RevokeForm(Form):
    override_id = IntField(validators=[NumberRange(min=1)], lo=1)
    reason = StringField(_l("Lý do huỷ"), validators=[Filled(_l("Cần nêu lý do điều chỉnh điểm.")), Length(max=2000)])
