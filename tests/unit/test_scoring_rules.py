"""Per-rule points, NA/missing handling and number parsing (hand-computed expectations)."""
import os
import sys

sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.framework import RULE_KINDS, Band, Level, Node, make_rule
from scoring.rules import NA, indicator_points, is_na, parse_number, whole_number_text


def pts(rule, value, mp=10):
    return indicator_points(rule, value, mp)


# ---------------------------------------------------------------- each rule kind

def test_each_rule_kind_has_its_own_type_with_only_its_parameters():
    assert set(RULE_KINDS) == {"target", "linear", "banded", "yes_no", "count", "judged", "bonus", "penalty", "manual",
                               "info"}
    assert make_rule("count", per_item=2).kind == "count"
    assert type(make_rule("linear", floor=0, target=1)).__name__ == "LinearRule"
    with pytest.raises(TypeError):
        make_rule("target", target=1, per_item=2)  # a target rule has no per_item
    with pytest.raises(ValueError):
        make_rule("bogus")


def test_target_higher_and_lower():
    r = make_rule("target", target=85, direction="higher")
    assert pts(r, 85).points == 10   # 85 >= 85 -> max
    assert pts(r, 84.9).points == 0  # below target -> 0
    r = make_rule("target", target=5, direction="lower")
    assert pts(r, 5).points == 10    # 5 <= 5 -> max
    assert pts(r, 6).points == 0


def test_linear_higher():
    r = make_rule("linear", floor=50, target=90, direction="higher")
    assert pts(r, 50, 20).points == 0        # at floor
    assert pts(r, 40, 20).points == 0        # beyond floor
    assert pts(r, 70, 20).points == 10       # 20 * (70-50)/(90-50) = 20 * 0.5 = 10
    assert pts(r, 60, 20).points == 5        # 20 * 10/40 = 5
    assert pts(r, 95, 20).points == 20       # beyond target


def test_linear_lower():
    r = make_rule("linear", floor=10, target=2, direction="lower")
    assert pts(r, 6, 10).points == 5         # 10 * (10-6)/(10-2) = 10 * 4/8 = 5
    assert pts(r, 4, 10).points == 7.5       # 10 * 6/8 = 7.5
    assert pts(r, 12, 10).points == 0
    assert pts(r, 1, 10).points == 10


def test_linear_keeps_points_on_the_1e9_grid():
    r = make_rule("linear", floor=0, target=3, direction="higher")
    assert pts(r, 1, 10).points == 3.333333333    # 10/3 = 3.33333.. -> 9 decimals, no early rounding


def test_banded():
    r = make_rule("banded", bands=(Band(0, 2), Band(50, 5), Band(80, 10)))
    assert pts(r, -1).points == 0    # below first band
    assert pts(r, 0).points == 2
    assert pts(r, 49.9).points == 2
    assert pts(r, 50).points == 5
    assert pts(r, 100).points == 10


def test_yes_no_defaults_and_custom():
    r = make_rule("yes_no")
    assert pts(r, True).points == 10 and pts(r, "có").points == 10
    assert pts(r, "no").points == 0 and pts(r, False).points == 0
    r = make_rule("yes_no", yes_points=6, no_points=2)
    assert pts(r, "yes").points == 6 and pts(r, "không").points == 2
    assert pts(r, "maybe").status == "invalid"


def test_count():
    r = make_rule("count", per_item=2, cap=8)
    assert pts(r, 3).points == 6     # 3 * 2 = 6
    assert pts(r, 5).points == 8     # min(10, cap 8, max 10) = 8
    r = make_rule("count", per_item=4)
    assert pts(r, 5, 10).points == 10  # min(20, max 10)
    assert pts(r, -1).status == "invalid"


def test_judged():
    r = make_rule("judged", levels=(Level("good", 8), Level("fair", 5)))
    assert pts(r, "good").points == 8
    assert pts(r, "fair").points == 5
    res = pts(r, None)
    assert (res.points, res.status) == (0, "judged_pending")
    assert pts(r, "excellent").status == "invalid"


def test_bonus_and_penalty():
    assert pts(make_rule("bonus", per_item=2), 2, 6).points == 4      # 2 * 2 = 4
    assert pts(make_rule("bonus", per_item=2), 5, 6).points == 6      # min(10, 6)
    assert pts(make_rule("penalty", per_item=3), 1, 6).points == -3   # -min(3, 6)
    assert pts(make_rule("penalty", per_item=3), 4, 6).points == -6   # -min(12, 6)


def test_manual_clamped():
    r = make_rule("manual")
    assert pts(r, 7.5).points == 7.5
    assert pts(r, "7,5").points == 7.5   # Vietnamese decimal comma
    assert pts(r, 12).points == 10       # clamped to max
    assert pts(r, -2).points == 0


def test_missing_and_na():
    node = Node("X", {"en": "x"}, "regular", 10, rule=make_rule("target", target=1), na_allowed=True)
    r = indicator_points(node, None)
    assert (r.points, r.status) == (0, "missing")
    for na in (NA, "NA", " na "):
        r = indicator_points(node, na)
        assert (r.points, r.status) == (10, "not_applicable")   # NA -> full points
    strict = Node("Y", {"en": "y"}, "regular", 10, rule=make_rule("target", target=1))
    assert indicator_points(strict, NA).status == "invalid"
    pen = Node("P", {"en": "p"}, "penalty", 5, rule=make_rule("penalty", per_item=1), na_allowed=True)
    assert indicator_points(pen, NA).points == 0                # NA never deducts
    assert is_na(NA) and not is_na("N/A?")


# ---------------------------------------------------------------- parse_number

@pytest.mark.parametrize("text,expected", [
    ("1.234,5", 1234.5), ("1234.5", 1234.5), ("1234,5", 1234.5), ("1.234.567", 1234567),
    ("1,234.5", 1234.5), ("12", 12), ("0,125", 0.125), ("1234.567", 1234.567),
    ("-3,5", -3.5), ("1 234,5", 1234.5), (" 85 ", 85), ("1,234,567.25", 1234567.25),
    ("１２３", 123), ("１．２３４，５", 1234.5), ("1\u00a0234,5", 1234.5),  # full-width (IME), no-break space
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["1.234", "12,500", "abc", "", "1e5", ".5", "5.", "1.2.3", "1,234,5",
                                  "1,234.567,8", "12 34", "+", "1..2",
                                  "٣", "١٢٣", "1\u200b000", "12\x0034", "NaN", "Infinity", "0x10", "50%", "--5"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_parse_number_ambiguous_message():
    with pytest.raises(ValueError, match="ambiguous"):
        parse_number("1.234")


# ---------------------------------------------------------------- properties

finite = st.floats(-1e6, 1e6, allow_nan=False)
maxp = st.floats(0.5, 1000)


@st.composite
def any_rule(draw):
    kind = draw(st.sampled_from(sorted(RULE_KINDS)))
    if kind == "target":
        return make_rule(kind, target=draw(finite), direction=draw(st.sampled_from(["higher", "lower"])))
    if kind == "linear":
        a, b = sorted(draw(st.lists(finite, min_size=2, max_size=2, unique=True)))
        d = draw(st.sampled_from(["higher", "lower"]))
        return make_rule(kind, floor=a if d == "higher" else b, target=b if d == "higher" else a, direction=d)
    if kind == "banded":
        froms = sorted(draw(st.lists(finite, min_size=1, max_size=5, unique=True)))
        return make_rule(kind, bands=tuple(Band(f, draw(st.floats(0, 1000))) for f in froms))
    if kind in ("count", "bonus", "penalty"):
        return make_rule(kind, per_item=draw(st.floats(0.1, 100)))
    if kind == "judged":
        return make_rule(kind, levels=(Level("a", draw(st.floats(0, 1000))), Level("b", 0)))
    return make_rule(kind)


@settings(max_examples=150, deadline=None)
@given(any_rule(), finite, maxp)
def test_points_within_range(rule, value, mp):
    v = "a" if rule.kind == "judged" else (value > 0 if rule.kind == "yes_no" else value)
    p = indicator_points(rule, v, mp).points
    if rule.kind == "penalty":
        assert -mp <= p <= 0
    else:
        assert 0 <= p <= mp


@st.composite
def monotone_rule(draw):
    kind = draw(st.sampled_from(["target", "linear", "count", "banded"]))
    d = draw(st.sampled_from(["higher", "lower"]))
    if kind == "target":
        return make_rule(kind, target=draw(finite), direction=d)
    if kind == "linear":
        a, b = sorted(draw(st.lists(finite, min_size=2, max_size=2, unique=True)))
        return make_rule(kind, floor=a if d == "higher" else b, target=b if d == "higher" else a, direction=d)
    if kind == "count":
        return make_rule(kind, per_item=draw(st.floats(0.1, 100)))
    froms = sorted(draw(st.lists(finite, min_size=1, max_size=5, unique=True)))
    points = sorted(draw(st.lists(st.floats(0, 100), min_size=len(froms), max_size=len(froms))))
    return make_rule(kind, bands=tuple(Band(f, p) for f, p in zip(froms, points, strict=True)))


@settings(max_examples=150, deadline=None)
@given(monotone_rule(), finite, finite, maxp)
def test_monotone_rules(rule, a, b, mp):
    lo, hi = sorted([a, b])
    if rule.kind == "count":
        lo, hi = abs(lo) if lo >= 0 else 0, abs(hi) if lo >= 0 else abs(hi - lo)
        lo, hi = sorted([lo, hi])
    p_lo, p_hi = indicator_points(rule, lo, mp).points, indicator_points(rule, hi, mp).points
    if rule.kind in ("target", "linear") and rule.direction == "lower":
        assert p_lo >= p_hi   # antitone for direction lower
    else:
        assert p_lo <= p_hi   # monotone for direction higher / counts / ascending bands


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.floats(allow_nan=False), st.floats(-1e6, 1e6),
                 st.integers(-10**12, 10**12).map(lambda k: k / 2e9)))  # half-way cases
def test_round_points_is_bit_identical_to_numpy_round(x):
    """The scalar quantiser must equal the vector path's np.round(…, 9), sign of zero included."""
    import math

    import numpy as np

    from scoring.rules import round_points

    with np.errstate(over="ignore", invalid="ignore"):
        want = float(np.round(x, 9))
    got = round_points(x)
    assert got == want or (math.isinf(got) and math.isinf(want))
    assert math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize("typed,kept", [
    ("1.234", "1234"), ("1,234", "1234"), ("12.345.678", "12345678"), ("-1.234", "-1234"), (" 1.234 ", "1234"),
    ("１.２３４", "1234"),                                   # full-width digits from an IME
    ("0.123", "0.123"), ("1.23", "1.23"), ("1.234,5", "1.234,5"), ("1.234,567", "1.234,567"),
    ("1.234.56", "1.234.56"), ("1,234.567", "1,234.567"), ("abc", "abc"), ("1234", "1234"),
])
def test_whole_number_text_reads_only_thousands_groups(typed, kept):
    assert whole_number_text(typed) == kept
