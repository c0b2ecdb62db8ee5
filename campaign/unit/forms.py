"""The evidence form, generated from the campaign's framework (one field per indicator)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from scoring.framework import Framework, Node

from campaign.services.submissions.entries import label


def value_name(code: str) -> str:
    return f"v-{code}"


def na_name(code: str) -> str:
    return f"na-{code}"


def explanation_name(code: str) -> str:
    return f"ex-{code}"


def files_name(code: str) -> str:
    return f"file-{code}"


def explanation_allowed(node: Node) -> bool:
    ev = node.evidence or {}
    return bool(ev.get("required") and ev.get("explanation_allowed"))


def _value_field(node: Node):
    vt = node.value_type
    if vt == "yes_no":
        return SelectField(label(node.name), choices=[("", _l("— chọn —")), ("yes", _l("Có")), ("no", _l("Không"))],
                           validators=[Optional()], validate_choice=False)
    if vt == "choice" or (vt is None and node.rule.kind == "judged"):
        choices = [(c.code, label(c.label) or c.code) for c in node.choices] or [
            (lv.code, label(lv.descriptor) or lv.code) for lv in node.rule.levels]
        return SelectField(label(node.name), choices=[("", _l("— chọn —"))] + choices,
                           validators=[Optional()], validate_choice=False)
    if vt == "text":
        return TextAreaField(label(node.name), validators=[Optional(), Length(max=20000)])
    if vt == "file_only":
        return None
    # number, percentage, count, date: typed as text so Vietnamese formats are kept as written
    return StringField(label(node.name), validators=[Optional(), Length(max=100)])


def build_entry_form(fw: Framework, formdata=None, data: dict | None = None) -> FlaskForm:
    """A FlaskForm class with fields v-/na-/ex-/file-<code> for every indicator."""

    class EntryForm(FlaskForm):
        lock_version = HiddenField()

    for node in fw.indicators():
        f = _value_field(node)
        if f is not None:
            setattr(EntryForm, value_name(node.code), f)
        if node.na_allowed:
            setattr(EntryForm, na_name(node.code), BooleanField(_l("Không áp dụng")))
        if explanation_allowed(node):
            setattr(EntryForm, explanation_name(node.code),
                    TextAreaField(_l("Giải trình (khi chưa có minh chứng)"), validators=[Length(max=20000)]))
        setattr(EntryForm, files_name(node.code), MultipleFileField(_l("Tệp minh chứng")))
    kwargs = {"formdata": formdata} if formdata is not None else {}
    if data is not None:
        kwargs["data"] = data
    return EntryForm(**kwargs)


def posted_values(fw: Framework, formdata) -> dict[str, dict]:
    """{code: {raw, na, explanation}} for the indicators present on the posted form."""
    present = set(formdata.getlist("codes"))
    out = {}
    for node in fw.indicators():
        if node.code not in present:
            continue
        out[node.code] = {
            "raw": (formdata.get(value_name(node.code)) or "").strip(),
            "na": formdata.get(na_name(node.code)) in ("y", "on", "1", "true"),
            "explanation": (formdata.get(explanation_name(node.code)) or "").strip(),
        }
    return out


def form_data_from_stored(fw: Framework, stored: dict[str, dict]) -> dict:
    data = {}
    for node in fw.indicators():
        item = stored.get(node.code) or {}
        data[value_name(node.code)] = item.get("raw", "")
        data[na_name(node.code)] = bool(item.get("na"))
        data[explanation_name(node.code)] = item.get("explanation", "")
    return data


class XlsxUploadForm(FlaskForm):
    workbook = FileField(_l("Tệp Excel (.xlsx)"))


class ImportForm(FlaskForm):
    workbook = FileField(_l("Tệp Excel (.xlsx) nhiều đơn vị"))
