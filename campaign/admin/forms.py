"""Forms of the admin feature (campaigns, units, clusters, imports, frameworks)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from campaign.params import IntField

from ..forms import DayField, DecimalField, Form, MomentField, Subform

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=LOCAL_TZ).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def utc_to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ).replace(tzinfo=None)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def split_codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace(",", "\n").replace(";", "\n").splitlines() if c.strip()]


class BandForm(Subform):
    code = StringField(_l("Mã"), validators=[Optional(), Length(max=40)])
    label_vi = StringField(_l("Tên mức (tiếng Việt)"), validators=[Optional(), Length(max=120)])
    label_en = StringField(_l("Tên mức (tiếng Anh)"), validators=[Optional(), Length(max=120)])
    min_total = DecimalField(_l("Điểm tối thiểu"), validators=[Optional(), NumberRange(min=0)])
    floor_pct = DecimalField(_l("Sàn mỗi tiêu chí (%)"), validators=[Optional(), NumberRange(min=0, max=100)])
    floors = StringField(_l("Sàn riêng theo nhóm (vd. I:85, II:80)"), validators=[Optional(), Length(max=300)])
    min_criteria_met = IntegerField(_l("Số tiêu chí phải đạt"), validators=[Optional(), NumberRange(min=1)])


def parse_floors(text: str | None) -> dict | str | None:
    """"I:85, II:80" -> {"I": 85.0, "II": 80.0}; malformed text is returned as is (the settings check refuses it)."""
    out: dict = {}
    for part in (p.strip() for p in (text or "").replace(";", ",").split(",")):
        if not part:
            continue
        code, sep, pct = part.rpartition(":")
        try:
            out[code.strip()] = float(pct)
        except ValueError:
            return text
        if not sep or not code.strip():
            return text
    return out or None


def floors_text(floors: dict | None) -> str:
    return ", ".join(f"{g}:{f:g}" for g, f in (floors or {}).items()) if isinstance(floors, dict) else ""


TIE_BREAK_SLOTS = 3
KIND_CHOICES = [("regular", _l("Thường xuyên")), ("thematic", _l("Theo chuyên đề"))]
AGG_CHOICES = [("mean", _l("Trung bình")), ("median", _l("Trung vị")),
               ("trimmed_mean", _l("Trung bình bỏ điểm cao nhất và thấp nhất"))]
ROLLUP_CHOICES = [("none", _l("Không tổng hợp")), ("mean", _l("Trung bình các xã")),
                  ("weighted_mean", _l("Trung bình theo dân số")),
                  ("share_meeting", _l("Tỷ lệ xã đạt chuẩn")),
                  ("combined", _l("Kết hợp điểm huyện và điểm các xã"))]
LEVEL_CHOICES = [("2", _l("Cấp huyện (quận, huyện, thị xã)")), ("3", _l("Cấp xã (phường, xã, thị trấn)"))]
UNIT_KIND_CHOICES = [("provincial_city", _l("Thành phố thuộc tỉnh")), ("urban_district", _l("Quận")),
                     ("rural_district", _l("Huyện")), ("town", _l("Thị xã")), ("special_zone", _l("Đặc khu")),
                     ("ward", _l("Phường")), ("commune", _l("Xã")), ("township", _l("Thị trấn")),
                     ("agency", _l("Cơ quan")), ("mass_org", _l("Đoàn thể"))]


class CampaignForm(Form):
    name = StringField(_l("Tên phong trào (tiếng Việt)"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Tên phong trào (tiếng Anh)"), validators=[Optional(), Length(max=300)])
    kind = SelectField(_l("Loại phong trào"), choices=KIND_CHOICES)
    description = TextAreaField(_l("Mô tả (tiếng Việt)"), validators=[Optional(), Length(max=5000)])
    description_en = TextAreaField(_l("Mô tả (tiếng Anh)"), validators=[Optional(), Length(max=5000)])
    period_start = DayField(_l("Thực hiện từ ngày"), validators=[Optional()])
    period_end = DayField(_l("Đến ngày"), validators=[Optional()])
    submission_deadline = MomentField(_l("Hạn nộp bài (giờ Việt Nam)"), validators=[Optional()])
    appraisal_deadline = MomentField(_l("Hạn thẩm định (giờ Việt Nam)"), validators=[Optional()])
    results_public = BooleanField(_l("Công khai kết quả trên bảng xếp hạng"), default=True)
    # framework (create only)
    template_code = SelectField(_l("Bộ tiêu chí mẫu"), choices=[], validators=[Optional()])
    framework_version_id = SelectField(_l("Hoặc bộ tiêu chí đã có"), choices=[], validators=[Optional()])
    # participants
    levels = MultiCheckboxField(_l("Theo cấp"), choices=LEVEL_CHOICES)
    kinds = MultiCheckboxField(_l("Theo loại đơn vị"), choices=UNIT_KIND_CHOICES)
    cluster_ids = MultiCheckboxField(_l("Theo cụm, khối thi đua"), choices=[])
    unit_codes = TextAreaField(_l("Chọn từng đơn vị (mã, mỗi dòng một mã)"), validators=[Optional()])
    ranking_cluster_ids = MultiCheckboxField(_l("Cụm, khối dùng để xếp hạng"), choices=[])
    # scoring settings
    judges_per_entry = IntegerField(_l("Số giám khảo chấm mỗi bài"), default=3,
                                    validators=[InputRequired(), NumberRange(min=1, max=15)])
    aggregation = SelectField(_l("Tổng hợp điểm các giám khảo"), choices=AGG_CHOICES, default="trimmed_mean")
    trim_min_judges = IntegerField(_l("Số giám khảo tối thiểu để bỏ điểm cao/thấp"), default=3,
                                   validators=[Optional(), NumberRange(min=3, max=15)])
    normalise = BooleanField(_l("Chuẩn hóa điểm giám khảo (z-score)"))
    blind = BooleanField(_l("Chấm ẩn danh (giám khảo không thấy tên đơn vị)"))
    coi_same_cluster = BooleanField(_l("Giám khảo không chấm đơn vị cùng cụm"))
    forbid_reciprocal = BooleanField(_l("Cấm hai đơn vị cùng cụm chấm chéo lẫn nhau"))
    show_intervals = BooleanField(_l("Công bố khoảng điểm và đánh dấu các đơn vị ngang nhau về thống kê"))
    disagreement_threshold = DecimalField(_l("Ngưỡng chênh lệch điểm giữa giám khảo"),
                                          validators=[Optional(), NumberRange(min=0)])
    # Chosen from lists, never typed as codes: 1st, 2nd, 3rd rule (choices set by the view, with the framework's groups).
    tie_breaks = FieldList(SelectField(choices=[], validate_choice=False), _l("Thứ tự phân hạng khi bằng điểm"),
                           min_entries=TIE_BREAK_SLOTS, max_entries=TIE_BREAK_SLOTS)
    award_quota_pct = DecimalField(_l("Tỷ lệ tối đa ở mức cao nhất trong mỗi cụm (%)"), default=20,
                                 validators=[Optional(), NumberRange(min=0, max=100)])
    top_per_cluster = IntField(_l("Số đơn vị dẫn đầu mỗi cụm"), default=1, validators=[Optional()], hi=10_000)
    rollup_kind = SelectField(_l("Điểm cấp huyện từ kết quả cấp xã"), choices=ROLLUP_CHOICES, default="none")
    rollup_own_weight = DecimalField(_l("Trọng số điểm của huyện"), validators=[Optional(), NumberRange(min=0, max=1)])
    rollup_communes_weight = DecimalField(_l("Trọng số điểm các xã"), validators=[Optional(), NumberRange(min=0, max=1)])
    bands = FieldList(FormField(BandForm), _l("Mức xếp loại"), min_entries=5, max_entries=8)

    # ------------------------------------------------------------ conversion
    def to_data(self) -> dict:
        bands = []
        for b in self.bands.entries:
            if not b.form.code.data:
                continue
            bands.append({"code": b.form.code.data.strip(),
                          "min_total": b.form.min_total.data if b.form.min_total.data is not None else 0,
                          "floor_pct": b.form.floor_pct.data,
                          **({"floors": fl} if (fl := parse_floors(b.form.floors.data)) is not None else {}),
                          **({"min_criteria_met": b.form.min_criteria_met.data}
                             if b.form.min_criteria_met.data is not None else {}),
                          "label": {"vi": b.form.label_vi.data or b.form.code.data,
                                    "en": b.form.label_en.data or b.form.label_vi.data or b.form.code.data}})
        rollup = None
        if self.rollup_kind.data != "none":
            rollup = {"kind": self.rollup_kind.data}
            if self.rollup_kind.data == "combined":
                rollup.update(own_weight=self.rollup_own_weight.data or 0.0,
                              communes_weight=self.rollup_communes_weight.data or 0.0)
        settings = {
            "judges_per_entry": self.judges_per_entry.data, "aggregation": self.aggregation.data,
            "trim_min_judges": self.trim_min_judges.data or 3, "normalise": bool(self.normalise.data),
            "blind": bool(self.blind.data), "coi_same_cluster": bool(self.coi_same_cluster.data),
            "forbid_reciprocal": bool(self.forbid_reciprocal.data), "show_intervals": bool(self.show_intervals.data),
            "disagreement_threshold": self.disagreement_threshold.data,
            "tie_breaks": list(dict.fromkeys(t for t in self.tie_breaks.data if t)),  # in order, each once
            "award_quota_pct": self.award_quota_pct.data, "top_per_cluster": self.top_per_cluster.data,
            "bands": bands, "rollup": rollup,
        }
        return {
            "name": self.name.data, "name_en": self.name_en.data or None, "kind": self.kind.data,
            "description": self.description.data or "", "description_en": self.description_en.data or "",
            "period_start": self.period_start.data, "period_end": self.period_end.data,
            "submission_deadline": local_to_utc(self.submission_deadline.data),
            "appraisal_deadline": local_to_utc(self.appraisal_deadline.data),
            "results_public": bool(self.results_public.data),
            "template_code": self.template_code.data or None,
            "framework_version_id": int(self.framework_version_id.data) if self.framework_version_id.data else None,
            "participants": {"levels": [int(x) for x in self.levels.data or []], "kinds": list(self.kinds.data or []),
                             "cluster_ids": [int(x) for x in self.cluster_ids.data or []],
                             "unit_codes": split_codes(self.unit_codes.data)},
            "ranking_cluster_ids": [int(x) for x in self.ranking_cluster_ids.data or []],
            "settings": settings,
        }

    def load(self, c, participants: dict, ranking_cluster_ids: list[int]) -> None:
        """Fill the form from a campaign (GET of the edit page) and its participants rule
        (``campaigns.participant_rule``)."""
        s = c.settings or {}
        for f in ("name", "name_en", "kind", "description", "description_en", "period_start", "period_end",
                  "results_public"):
            getattr(self, f).data = getattr(c, f)
        self.submission_deadline.data = utc_to_local(c.submission_deadline)
        self.appraisal_deadline.data = utc_to_local(c.appraisal_deadline)
        p = participants
        self.levels.data = [str(x) for x in p.get("levels") or []]
        self.kinds.data = list(p.get("kinds") or [])
        self.cluster_ids.data = [str(x) for x in p.get("cluster_ids") or []]
        self.unit_codes.data = "\n".join(p.get("unit_codes") or [])
        self.ranking_cluster_ids.data = [str(x) for x in ranking_cluster_ids]
        self.load_settings(s)

    def load_settings(self, s: dict) -> None:
        for f in ("judges_per_entry", "aggregation", "trim_min_judges", "normalise", "blind", "coi_same_cluster",
                  "forbid_reciprocal", "show_intervals", "disagreement_threshold", "award_quota_pct", "top_per_cluster"):
            if f in s:
                getattr(self, f).data = _whole(s[f])
        chosen = list(s.get("tie_breaks") or [])[:TIE_BREAK_SLOTS]
        for entry, code in zip(self.tie_breaks.entries, chosen + [""] * TIE_BREAK_SLOTS, strict=False):
            entry.data = code
        rollup = s.get("rollup") or {}
        self.rollup_kind.data = rollup.get("kind", "none")
        self.rollup_own_weight.data = _whole(rollup.get("own_weight"))
        self.rollup_communes_weight.data = _whole(rollup.get("communes_weight"))
        bands = list(s.get("bands") or [])
        while len(self.bands.entries) < max(5, len(bands)):
            self.bands.append_entry()
        for entry, b in zip(self.bands.entries, bands + [None] * len(self.bands.entries), strict=False):  # padded
            if b is None:
                entry.form.code.data = entry.form.label_vi.data = entry.form.label_en.data = ""
                entry.form.min_total.data = entry.form.floor_pct.data = entry.form.min_criteria_met.data = None
                entry.form.floors.data = ""
                continue
            entry.form.code.data = b.get("code")
            entry.form.label_vi.data = (b.get("label") or {}).get("vi")
            entry.form.label_en.data = (b.get("label") or {}).get("en")
            entry.form.min_total.data = _whole(b.get("min_total"))
            entry.form.floor_pct.data = _whole(b.get("floor_pct"))
            entry.form.floors.data = floors_text(b.get("floors"))
            entry.form.min_criteria_met.data = b.get("min_criteria_met")


def _whole(value):
    """A stored 90.0 shown back as 90 (a number field shows what it is given; "90.0" is not how anyone types it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


class TransitionForm(Form):
    to = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=500)])
    force = BooleanField(_l("Đóng nhận bài sớm"))
    confirmed = HiddenField()  # "1" on the confirmation step's POST


class MidtermForm(Form):
    label = StringField(_l("Tên đợt sơ kết"), validators=[Optional(), Length(max=200)])
    confirmed = HiddenField()  # "1" on the confirmation step's POST


class CsrfForm(Form):
    """A button-only POST (clone, archive, remove an extension): nothing to fill but the CSRF token."""


class ExtensionForm(Form):
    unit_id = SelectField(_l("Đơn vị"), coerce=int, choices=[])
    new_deadline = MomentField(_l("Hạn mới (giờ Việt Nam)"), validators=[DataRequired()])
    reason = TextAreaField(_l("Lý do gia hạn"), validators=[DataRequired(), Length(max=2000)])


class FrameworkEditForm(Form):
    document = TextAreaField(_l("Bộ tiêu chí (YAML)"), validators=[DataRequired()])


class FrameworkImportForm(Form):
    file = FileField(_l("Tệp bộ tiêu chí (.yaml, .yml, .json)"), validators=[FileRequired()])


class UnitForm(Form):
    code = StringField(_l("Mã đơn vị"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Tên đơn vị (có dấu)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Tên tiếng Anh"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Loại đơn vị"), choices=[("city", _l("Thành phố trực thuộc trung ương")),
                                                   ("province", _l("Tỉnh"))] + UNIT_KIND_CHOICES)
    parent_id = SelectField(_l("Đơn vị cấp trên"), choices=[], validators=[Optional()])
    population = IntField(_l("Dân số"), validators=[Optional()])
    area_km2 = DecimalField(_l("Diện tích (km²)"), validators=[Optional(), NumberRange(min=0)])


class UnitFilterForm(Form):
    """The units page's search (a GET form: no CSRF token, nothing changes)."""

    class Meta:
        csrf = False

    q = StringField(_l("Tìm theo mã hoặc tên"), validators=[Optional(), Length(max=100)])
    ended = BooleanField(_l("Hiện cả đơn vị đã ngừng hoạt động"))


class InactiveForm(Form):
    valid_to = DayField(_l("Ngừng hoạt động từ ngày"), validators=[Optional()])
    reason = StringField(_l("Lý do (ví dụ: sáp nhập)"), validators=[Optional(), Length(max=500)])


class ClusterForm(Form):
    code = StringField(_l("Mã cụm, khối"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Tên cụm, khối (tiếng Việt)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Tên tiếng Anh"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Loại"), choices=[("cluster", _l("Cụm thi đua (theo địa bàn)")),
                                            ("block", _l("Khối thi đua (theo chức năng)"))])
    # ticks, not a multi-select: no Ctrl-click, usable on a phone
    member_ids = SelectMultipleField(_l("Đơn vị thành viên"), choices=[], coerce=int,
                                     widget=widgets.ListWidget(prefix_label=False),
                                     option_widget=widgets.CheckboxInput())
    head_unit_id = SelectField(_l("Cụm trưởng"), choices=[], validators=[Optional()],
                               render_kw={"data-member-choice": ""})  # (clusters.js: only ticked members)
    deputy_unit_id = SelectField(_l("Cụm phó"), choices=[], validators=[Optional()],
                                 render_kw={"data-member-choice": ""})


class ImportForm(Form):
    kind = SelectField(_l("Loại tệp"), choices=[
        ("gso", _l("Danh mục đơn vị hành chính của Tổng cục Thống kê (.xls, .xlsx)")),
        ("units_csv", _l("Danh sách đơn vị (CSV)")),
        ("clusters_csv", _l("Thành viên cụm, khối thi đua (CSV)"))])
    file = FileField(_l("Tệp"), validators=[FileRequired()])
    effective = DayField(_l("Ngày hiệu lực (đơn vị không còn trong danh mục ngừng hoạt động từ ngày này)"),
                          validators=[Optional()])
    dry_run = BooleanField(_l("Chạy thử: chỉ xem trước thay đổi, chưa lưu"), default=True)
