"""Every user-visible Vietnamese string has an English translation."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from i18n import missing  # noqa: E402


def test_no_untranslated_strings():
    assert missing() == []


def test_every_marked_string_is_in_some_catalogue(tmp_path):
    """A string marked in code or templates but never extracted would show in Vietnamese only."""
    from babel.messages.pofile import read_po

    cfg = tmp_path / "babel.cfg"
    cfg.write_text("[python: campaign/**.py]\n[jinja2: templates/**.html]\n")
    pot = tmp_path / "all.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", str(cfg), "-k", "_l",
                    "-k", "N_", "-o", str(pot), "."], check=True, cwd=ROOT, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    known = set()
    for po in ROOT.glob("translations/*/en/LC_MESSAGES/messages.po"):
        with po.open("rb") as fh:
            known |= {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    assert sorted(wanted - known) == []


def test_every_wtforms_message_has_a_vietnamese_translation():
    """WTForms ships no Vietnamese: a message missing here would show in English on a Vietnamese page."""
    import wtforms.i18n
    from babel.messages.pofile import read_po

    with (Path(wtforms.i18n.messages_path()) / "wtforms.pot").open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (ROOT / "translations/wtforms/vi/LC_MESSAGES/wtforms.po").open("rb") as fh:
        translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(fh) if m.id}
    assert sorted(wanted - set(translated)) == []
    empty = [k for k, v in translated.items() if not (all(v) if isinstance(v, tuple) else v)]
    assert empty == []


def test_every_form_takes_its_messages_from_the_page_language():
    """A form built on FlaskForm or wtforms.Form directly would bypass campaign.forms and speak English."""
    import ast

    offenders = []
    for path in (ROOT / "campaign").rglob("*.py"):
        if path.name == "forms.py" and path.parent.name == "campaign":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & {"FlaskForm"} or (bases & {"Form"} and "from wtforms import Form" in path.read_text()):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []
