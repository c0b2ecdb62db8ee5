"""A value marked not applicable reads as words on every page that shows values (cold walk, issue 18):
"Không áp dụng" / "Not applicable", never the stored code "NA"."""
from __future__ import annotations

from campaign.words import value_shown
from scoring.rules import NA


def test_not_applicable_reads_as_words(app):
    with app.test_request_context():
        assert value_shown(NA, None, "vi") == "Không áp dụng"
        assert value_shown("NA", None, "vi") == "Không áp dụng"
        assert value_shown(3.5, None, "vi") == "3,5"  # numbers as before
