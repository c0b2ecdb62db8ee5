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
