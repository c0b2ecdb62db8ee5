"""Forms of the accounts feature. Every form is rendered with ``novalidate``: the messages come
from the server, in the user's language, next to the field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from campaign.params import IntField, to_int

from ..forms import DayField, Form

ROLE_CHOICES = [("officer", _l("Cán bộ đơn vị")), ("judge", _l("Giám khảo")), ("admin", _l("Quản trị")),
                ("viewer", _l("Người xem"))]
LOCALE_CHOICES = [("", _l("Theo trình duyệt / mặc định")), ("vi", "Tiếng Việt"), ("en", "English")]
REQUIRED = _l("Vui lòng nhập trường này.")


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PasswordChangeForm(Form):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED), Length(max=256)])
    new = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[DataRequired(REQUIRED), EqualTo("new", _l("Hai lần nhập mật khẩu không khớp."))])


class SetPasswordForm(Form):
    new = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(REQUIRED), Length(max=256)])
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[DataRequired(REQUIRED), EqualTo("new", _l("Hai lần nhập mật khẩu không khớp."))])


class PreferencesForm(Form):
    email = EmailField(_l("E-mail nhận thông báo"),
                       validators=[Optional(), Length(max=200)])
    locale = SelectField(_l("Ngôn ngữ"), choices=LOCALE_CHOICES, validators=[Optional()])
    # unknown kinds (e.g. a crafted "deadline") are dropped by the service: obligations stay on
    opt_out = MultiCheckboxField(_l("Không nhận các loại thông báo sau"), choices=[], validate_choice=False)


class EmptyForm(Form):
    """Only the CSRF token (buttons that change state)."""


class UserForm(Form):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(REQUIRED), Length(min=3, max=80)])
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(REQUIRED), Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=ROLE_CHOICES)
    unit_id = SelectField(_l("Đơn vị"), coerce=to_int, choices=[])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Số điện thoại"), validators=[Optional(), Length(max=40)])


class UserFilterForm(Form):
    class Meta:
        csrf = False

    q = StringField(_l("Tìm"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Vai trò"), choices=[("", _l("Tất cả vai trò"))] + ROLE_CHOICES, validators=[Optional()])
    active = SelectField(_l("Trạng thái"), choices=[("", _l("Tất cả")), ("1", _l("Đang hoạt động")),
                                                     ("0", _l("Đã khóa"))], validators=[Optional()])
    page = IntField(validators=[Optional()], lo=1, default=1)


class OnboardingForm(Form):
    source = SelectField(_l("Nguồn"), choices=[("file", _l("Tệp Excel/CSV")), ("tree", _l("Cây đơn vị"))])
    file = FileField(_l("Tệp (.xlsx, .csv): Mã đơn vị, Họ và tên, E-mail, Số điện thoại, Vai trò"))
    parent_id = SelectField(_l("Thuộc đơn vị"), coerce=to_int,
                            choices=[], validate_choice=False)
    level = SelectField(_l("Cấp"), choices=[("3", _l("Cấp xã (phường, xã, thị trấn)")),
                                            ("2", _l("Cấp huyện (quận, huyện, thị xã)"))])
    dry_run = BooleanField(_l("Chạy thử (chỉ kiểm tra, chưa tạo tài khoản)"), default=True)


class AuditFilterForm(Form):
    class Meta:
        csrf = False

    user = StringField(_l("Người thực hiện (tên đăng nhập)"), validators=[Optional(), Length(max=80)])
    unit = StringField(_l("Mã hoặc tên đơn vị"), validators=[Optional(), Length(max=80)])  # "dong da" finds Đống Đa
    campaign_id = SelectField(_l("Phong trào"), coerce=to_int,
                              choices=[], validate_choice=False)
    action = SelectField(_l("Hành động"), choices=[], validate_choice=False)
    date_from = DayField(_l("Từ ngày"), validators=[Optional()])
    date_to = DayField(_l("Đến ngày"), validators=[Optional()])
    page = IntField(validators=[Optional()], lo=1, default=1)
