"""The blank values table says what the officer's form says about rescaled parts and non-stacking bonuses."""
from __future__ import annotations

from campaign.services.submissions.values_xlsx import _type_text
from scoring.framework import parse_framework
from tests.unit import test_bonus_stacking, test_rescale


def test_a_part_that_rescales_says_so_in_its_na_row(app):
    fw = parse_framework(test_rescale.doc())
    assert _type_text(fw, fw.node("II")) == ("cả tiêu chí: chỉ đánh dấu Không áp dụng (x); phần này không được chấm "
                                            "thì các chỉ tiêu con được 0 điểm và tổng điểm được quy về thang điểm 100")
    assert _type_text(fw, fw.node("II.1")) == "số"


def test_a_bonus_that_does_not_stack_says_only_the_largest_counts(app):
    fw = parse_framework(test_bonus_stacking.doc("max"))
    assert _type_text(fw, fw.node("B.2")) == "Có/Không; nhóm thưởng chỉ tính khoản lớn nhất (không cộng dồn)"
    assert _type_text(fw, fw.node("A.1")) == "số"
    summed = parse_framework(test_bonus_stacking.doc(None))
    assert _type_text(summed, summed.node("B.2")) == "Có/Không"
