"""The computed indicators' expression language: parsing, refusals, evaluation (values worked out by hand)."""
import pytest

from scoring.expressions import ExprError, evaluate, parse_expr, references, to_text

pytestmark = pytest.mark.unit


def ev(text, **values):
    """Evaluate with operands named a, b, c… written as [a] in the text."""
    return evaluate(parse_expr(text), lambda code: values.get(code))


def test_ratio_times_hundred():
    # 45 trained of 50 propagandists = 90 %
    assert ev("[a] / [b] * 100", a=45, b=50).value == pytest.approx(90.0)


def test_precedence_parentheses_and_unary_minus():
    assert ev("1 + 2 * 3").value == 7
    assert ev("(1 + 2) * 3").value == 9
    assert ev("10 - 4 - 3").value == 3  # left-associative
    assert ev("24 / 4 / 2").value == 3
    assert ev("-[a] + 5", a=2).value == 3
    assert ev("--2").value == 2
    assert ev("2 * -3").value == -6


def test_functions_min_max_round():
    assert ev("min([a], [b], 7)", a=9, b=8).value == 7
    assert ev("max([a], 3)", a=2).value == 3
    assert ev("round([a] / 3, 2)", a=10).value == 3.33
    assert ev("round(2.5)").value == 3  # half away from zero, not to even
    assert ev("round(-2.5)").value == -3
    assert ev("round(0.125, 2)").value == 0.13


def test_workers_divided_by_twenty():
    assert ev("[w] / 20", w=130).value == 6.5


def test_division_by_zero_names_the_divisor():
    o = ev("[a] / [b] * 100", a=3, b=0)
    assert o.value is None and o.reason == "division_by_zero" and o.code == "[b]"
    o = ev("[a] / ([b] - [c])", a=1, b=2, c=2)
    assert o.value is None and o.code == "[b] - [c]"


def test_missing_operand_makes_the_value_missing():
    o = ev("[a] / [b] * 100", a=3)
    assert o.value is None and o.reason == "missing" and o.code == "b"


def test_operand_reason_from_lookup():
    o = evaluate(parse_expr("[a] + 1"), lambda code: "not_applicable")
    assert o.value is None and o.reason == "not_applicable" and o.code == "a"


def test_references_in_order_without_duplicates():
    assert references(parse_expr("([2.3a] + [2.3b]) / [2.3a]")) == ("2.3a", "2.3b")


def test_codes_with_dots_and_letters():
    assert ev("[x.1a] * 2", **{"x.1a": 4}).value == 8


@pytest.mark.parametrize("text,fragment", [
    ("", "empty expression"),
    ("[a] +", "unexpected end"),
    ("[a] [b]", "unexpected 'b' at position 6"),
    ("(1 + 2", "expected ')'"),
    ("1 + 2)", "unexpected ')'"),
    ("pow(2, 3)", "unknown function 'pow'"),
    ("__import__('os')", "unexpected character"),
    ("__import__([a])", "unknown function '__import__'"),
    ("[a] ** 2", "unexpected '*'"),
    ("1e5", "unexpected 'e' at position 2"),
    ("[a] % 2", "unexpected character '%'"),
    ("[]", "unexpected character '['"),
    ("min([a])", "min needs at least two arguments"),
    ("round([a], [b])", "second argument must be a whole number"),
    ("round(1, 2, 3)", "round takes one or two arguments"),
    ("a + 1", "unknown name 'a' at position 1: write indicator codes in square brackets, e.g. [a]"),
])
def test_syntax_errors_are_readable(text, fragment):
    with pytest.raises(ExprError) as exc:
        parse_expr(text)
    assert fragment in str(exc.value)


def test_no_python_evaluation_ever():
    # Python syntax that eval would run is refused by the grammar
    for text in ("[a].__class__", "lambda: 1", "1 if 1 else 2", "[a][0]", "'x'"):
        with pytest.raises(ExprError):
            parse_expr(text)


def test_too_deep_or_too_long_refused():
    with pytest.raises(ExprError, match="nested"):
        parse_expr("(" * 60 + "1" + ")" * 60)
    with pytest.raises(ExprError, match="longer"):
        parse_expr("1 + " * 200 + "1")


def test_to_text_with_names():
    e = parse_expr("[a]/[b]*100")
    assert to_text(e) == "[a] / [b] * 100"
    assert to_text(e, {"a": "Trained", "b": "All"}.get, "×") == "[a] Trained / [b] All × 100"
    assert to_text(parse_expr("[a] / ([b] - [c])")) == "[a] / ([b] - [c])"
    assert to_text(parse_expr("[a] - ([b] - [c])")) == "[a] - ([b] - [c])"
