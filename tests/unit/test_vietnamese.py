"""Vietnamese dictionary order and diacritic-free search (expected orders worked out by hand)."""
import random

from campaign.vietnamese import fold, matches, sort_key, sorted_by_name


def _sorted(names):
    shuffled = list(names)
    random.Random(5).shuffle(shuffled)
    return sorted(shuffled, key=sort_key)


def test_letters_in_the_vietnamese_alphabet_order():
    expected = ["An Khánh", "Ân Thi", "Ba Đình", "Cầu Giấy", "Dương Xá", "Đa Tốn", "Đông Anh", "Đống Đa",
                "Long Biên", "Ô Chợ Dừa", "Ơn Thần", "Xuân Mai"]
    assert _sorted(expected) == expected


def test_d_before_dj_whatever_the_rest():
    assert _sorted(["Đại Mỗ", "Dương Nội"]) == ["Dương Nội", "Đại Mỗ"]  # code points would say the same only by luck
    assert _sorted(["Đa Sỹ", "Dương Xá", "Dịch Vọng"]) == ["Dịch Vọng", "Dương Xá", "Đa Sỹ"]


def test_tones_break_ties_in_dictionary_order():
    assert _sorted(["mạ", "má", "mã", "mả", "mà", "ma"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]
    # the letters decide first: "mạc" (m-a-c) comes after "mà" and before "man"
    assert _sorted(["man", "mạc", "mà"]) == ["mà", "mạc", "man"]


def test_numbers_inside_names_compare_as_numbers_and_case_is_ignored():
    assert _sorted(["Phường 10", "phường 2", "Phường 1"]) == ["Phường 1", "phường 2", "Phường 10"]


def test_code_point_order_would_be_wrong():
    names = ["Xuân Mai", "Đống Đa"]
    assert sorted(names) == ["Xuân Mai", "Đống Đa"]  # Đ is U+0110, after every ASCII letter
    assert sorted_by_name(names, lambda n: n) == ["Đống Đa", "Xuân Mai"]


def test_fold_and_search_ignore_diacritics_and_case():
    assert fold("  Quận   Đống Đa ") == "quan dong da"
    assert fold("Phường Thủ Dầu Một") == "phuong thu dau mot"
    assert matches("dong da", "Quận Đống Đa")
    assert matches("ĐỐNG", "dong da")
    assert matches("da dong", "Quận Đống Đa")  # every word, any order
    assert matches("ba dinh", "Phường 1", "Quận Ba Đình")  # in any of the texts
    assert not matches("hoan kiem", "Quận Ba Đình")
    assert matches("", "anything")
