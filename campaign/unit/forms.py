"""The evidence form, generated from the campaign's framework (one field per indicator)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from campaign.services.submissions.entries import label
from campaign.services.submissions.officer_form import Posted, posted_from_form
from scoring.framework import Framework, Node

from ..forms import Form


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
    if node.compute is not None:
        return None  # computed from other indicators: shown read-only with its formula
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


def build_entry_form(fw: Framework, data: dict | None = None) -> Form:
    """The entry form with fields v-/na-/ex-/file-<code> for every indicator, showing ``data``.

    Always filled from ``data`` (never from the posted form): the service decides what each
    field shows, so locked indicators keep their stored values on a refused post.
    """

    class EntryForm(Form):
        lock_version = HiddenField()
        form_sig = HiddenField()

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
    for node in fw.walk():  # a criterion that may be marked not applicable as a whole
        if not node.is_indicator and node.na_allowed:
            setattr(EntryForm, na_name(node.code), BooleanField(_l("Cả tiêu chí không áp dụng")))
    return EntryForm(formdata=None, data=data or {})


def form_data(fw: Framework, shown: dict[str, dict], *, lock_version: int, form_sig: str) -> dict:
    """The form's data from {code: {raw, na, explanation}}."""
    data: dict = {"lock_version": lock_version, "form_sig": form_sig}
    for node in fw.indicators():
        item = shown.get(node.code) or {}
        data[value_name(node.code)] = item.get("raw", "")
        data[na_name(node.code)] = bool(item.get("na"))
        data[explanation_name(node.code)] = item.get("explanation", "")
    for node in fw.walk():
        if not node.is_indicator and node.na_allowed:
            data[na_name(node.code)] = bool((shown.get(node.code) or {}).get("na"))
    return data


def posted_entry(formdata: MultiDict, files: MultiDict) -> Posted:
    """The press of a button on the entry form: values of the listed codes, chosen files, the action."""
    values = posted_from_form(formdata)
    chosen = {}
    for code in values:
        items = [fs for fs in files.getlist(files_name(code)) if fs and fs.filename]
        if items:
            chosen[code] = items
    return Posted(values=values, files=chosen, lock_version=_int(formdata.get("lock_version")),
                  action="submit" if formdata.get("action") == "submit" else "save",
                  delete_file=_int(formdata.get("delete_file")))


def _int(raw: str | None) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value < 2**63 else None


class ConfirmSubmitForm(Form):
    """The confirmation step: the version the officer saw (CSRF comes with Form)."""

    lock_version = HiddenField()


class XlsxUploadForm(Form):
    workbook = FileField(_l("Tệp Excel (.xlsx)"))


class ImportForm(Form):
    workbook = FileField(_l("Tệp Excel (.xlsx) nhiều đơn vị"))
