"""Per-feature English catalogues (msgids are Vietnamese, the default language).

  python scripts/i18n.py update FEATURE PATH...   extract msgids from PATHs into
      translations/FEATURE/en/LC_MESSAGES/messages.po, keeping existing translations
  python scripts/i18n.py compile                  compile every feature's catalogue
  python scripts/i18n.py missing                  list msgids without an English msgstr

Each feature owns its own catalogue so parallel work never edits one shared file;
Flask-Babel merges all the directories listed by ``config.translation_dirs()``.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
BIN = Path(sys.executable).parent


def update(feature: str, paths: list[str]) -> None:
    target = TRANSLATIONS / feature
    po = target / "en" / "LC_MESSAGES" / "messages.po"
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "babel.cfg"
        cfg.write_text("[python: **.py]\n[jinja2: **.html]\n")
        pot = Path(tmp) / "messages.pot"
        subprocess.run([BIN / "pybabel", "extract", "-F", cfg, "-k", "_l", "-k", "N_", "--no-location",
                        "--omit-header", "-o", pot, *paths], check=True, cwd=ROOT, capture_output=True)
        if po.exists():
            cmd = ["update", "--no-fuzzy-matching", "--ignore-obsolete", "-i", pot, "-d", target, "-l", "en"]
        else:
            cmd = ["init", "-i", pot, "-d", target, "-l", "en"]
        subprocess.run([BIN / "pybabel", *cmd], check=True, cwd=ROOT, capture_output=True)
    print(f"updated {po.relative_to(ROOT)}")


def compile_all() -> None:
    """Every catalogue: the features' ``messages`` (English) and ``wtforms`` (WTForms' own messages in Vietnamese)."""
    for po in sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/*.po")):
        feature, domain = po.parents[2], po.stem
        subprocess.run([BIN / "pybabel", "compile", "-f", "-d", feature, "-D", domain, "-l", po.parents[1].name],
                       check=True, capture_output=True)


def missing() -> list[tuple[str, str]]:
    from babel.messages.pofile import read_po

    gaps = []
    for po in sorted(TRANSLATIONS.glob("*/en/LC_MESSAGES/messages.po")):
        with po.open("rb") as fh:
            for message in read_po(fh):
                if message.id and not (message.string if isinstance(message.string, str) else all(message.string)):
                    gaps.append((str(po.relative_to(ROOT)), str(message.id)))
    return gaps


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command == "update":
        update(rest[0], rest[1:])
    elif command == "compile":
        compile_all()
    elif command == "missing":
        for path, msgid in missing():
            print(f"{path}: {msgid}")
    else:
        print(__doc__)


def fill(feature: str, mapping: dict[str, str]) -> int:
    """Set English strings for msgids (used by scripts; editing the .po by hand is fine too)."""
    from babel.messages.pofile import read_po, write_po

    po = TRANSLATIONS / feature / "en" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh)
    done = 0
    for message in catalog:
        if message.id in mapping:
            message.string = mapping[message.id]
            done += 1
    with po.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, width=100)
    return done
