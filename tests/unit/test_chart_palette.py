"""Charts a person reads without help: colours apart for colour-blind readers, numbers in the
reader's form, labels that fit, axes with room, the inner city enlarged on the map."""
from __future__ import annotations

import itertools
import math

from campaign import charts
from campaign.services.setup.geo import APPROX_CENTROIDS

# Machado et al. (2009) simulation matrices, severity 1.0, on linear RGB.
CVD = {
    "normal": None,
    "deutan": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "protan": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "tritan": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}


def _linear(c: float) -> float:
    c /= 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lab(hex_colour: str, vision: str) -> tuple[float, float, float]:
    rgb = [_linear(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5)]
    m = CVD[vision]
    if m:
        rgb = [min(1.0, max(0.0, sum(m[i][j] * rgb[j] for j in range(3)))) for i in range(3)]
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _distance(a: str, b: str, vision: str) -> float:
    return math.dist(_lab(a, vision), _lab(b, vision))


def test_group_colours_stay_apart_from_the_band_colours_and_each_other_for_colour_blind_readers():
    groups = charts.GROUP_COLOURS[:7]  # the demo frameworks have up to 7 groups
    bands = charts.BAND_COLOURS[:4]
    for vision in CVD:
        # ΔE (CIE76) ≥ 10: told apart at a glance. The old palette reused the bands' red/blue/green/gold (ΔE 0).
        closest = min(_distance(g, b, vision) for g in groups for b in bands)
        assert closest >= 10, (vision, closest)
        among = min(_distance(a, b, vision) for a, b in itertools.combinations(groups, 2))
        assert among >= 10, (vision, among)


def test_bands_keep_the_badges_colours_by_rank_whatever_their_order():
    bands = [{"code": code, "label": code or "none", "min_total": low} for code, low in
             (("low", 0), ("top", 90), ("mid", 70), ("", 0), ("not_submitted", 0))]
    colours = charts.band_colours(bands)
    assert colours["top"] == "#c99700" and colours["mid"] == "#1e7b34" and colours["low"] == "#1a5fb4"
    assert colours[""] == "#bdbdbd" and colours["not_submitted"] == "#757575"
    fig = charts.bands_per_cluster(["Cụm 1"], bands, {"Cụm 1\x1ftop": 2}, count_label="Số đơn vị")
    assert [t["marker"]["color"] for t in fig["data"]] == ["#1a5fb4", "#c99700", "#1e7b34", "#bdbdbd", "#757575"]


def test_hover_numbers_are_in_the_readers_form():
    rows = [{"code": "1", "name": "Quận Một", "total": 1234.5, "group_scores": {"I": 1234.5}}]
    groups = [{"code": "I", "name": "Nhóm I"}]
    vi = charts.leaderboard_bars(rows, groups, [], score_label="Điểm", separators=",.")
    en = charts.leaderboard_bars(rows, groups, [], score_label="Points", separators=".,")
    assert vi["data"][0]["customdata"] == [["Quận Một", "1.234,50"]]
    assert en["data"][0]["customdata"] == [["Quận Một", "1,234.50"]]
    assert "%{customdata[1]}" in vi["data"][0]["hovertemplate"]  # not Plotly's raw "1234.5"
    assert vi["layout"]["separators"] == ",." and vi["layout"]["xaxis"]["separatethousands"] is True
    unit = charts.unit_groups(groups, [{"name": "Quận Một", "values": {"I": 81.8}}], score_label="Điểm")
    assert unit["data"][0]["customdata"] == [["Nhóm I", "81,80"]]


def test_long_labels_wrap_at_spaces_into_few_lines():
    # a break stands for the space it replaces (walk finding 13: "massmobilization" when copied or read aloud)
    assert charts.wrap("Công tác thi đua, khen thưởng", 20) == "Công tác thi đua, <br>khen thưởng"
    cut = charts.wrap("Giám sát, phản biện xã hội và góp ý xây dựng Đảng, chính quyền", 20, 2)
    assert cut == "Giám sát, phản biện <br>xã hội và góp ý xây…"
    assert charts.wrap("<b>x</b> & y", 40) == "&lt;b&gt;x&lt;/b&gt; &amp; y"  # still escaped


def test_every_chart_leaves_room_for_its_numbers_and_puts_the_legend_above():
    groups = [{"code": "I", "name": "Nhóm I"}]
    figs = [charts.leaderboard_bars([{"code": "1", "name": "A", "total": 5, "group_scores": {"I": 5}}], groups, [],
                                    score_label="Điểm"),
            charts.unit_groups(groups, [{"name": "A", "values": {"I": 5}}], score_label="Điểm"),
            charts.history([{"label": "2018", "total": 5, "rank": 1}, {"label": "2018", "total": 6, "rank": 2}],
                           score_label="Điểm", rank_label="Hạng"),
            charts.score_bands([{"total": 1, "band": "a"}, {"total": 2, "band": None}],
                               [{"code": "a", "label": "A", "min_total": 1}], score_label="Điểm", count_label="Số",
                               other_label="Khác"),
            charts.bands_per_cluster(["C"], [{"code": "a", "label": "A", "min_total": 1}], {}, count_label="Số")]
    for fig in figs:
        layout = fig["layout"]
        assert layout["legend"]["y"] >= 1 and layout["legend"]["yanchor"] == "bottom"  # above, not on tick labels
        for name in ("xaxis", "yaxis", "yaxis2"):
            if name in layout:
                assert layout[name]["automargin"] is True, name
    history = figs[2]
    assert history["data"][0]["x"] == [0, 1]  # two publications with the same label stay two bars
    assert history["layout"]["xaxis"]["ticktext"] == ["2018", "2018"]
    # rank 1 on top and whole ranks only (the auto axis read "0, 0, 1, 1, 1")
    assert history["layout"]["yaxis2"]["range"] == [2.5, 0.5] and history["layout"]["yaxis2"]["dtick"] == 1


def test_the_inner_city_is_enlarged_under_the_map_and_named_there_only():
    names = {"001": "Quận Ba Đình", "002": "Quận Hoàn Kiếm", "271": "Huyện Ba Vì", "250": "Huyện Mê Linh"}
    pts = [{"code": code, "name": names.get(code, "Quận " + code), "lat": lat, "lon": lon, "total": 600 + i}
           for i, (code, (lat, lon)) in enumerate(sorted(APPROX_CENTROIDS.items()))]
    fig = charts.centroid_map(pts, score_label="Điểm", inset_label="Khu trung tâm, phóng to")
    main, inset = fig["data"]
    inner = {c[0]: t for c, t in zip(inset["customdata"], inset["text"], strict=True)}
    assert inner["Quận Ba Đình"] == "Ba Đình" and inner["Quận Hoàn Kiếm"] == "Hoàn Kiếm"  # kind dropped
    assert "Huyện Ba Vì" not in inner and "Huyện Mê Linh" not in inner  # 50 km out: not the inner city
    labels = {c[0]: t for c, t in zip(main["customdata"], main["text"], strict=True)}
    assert labels["Quận Ba Đình"] == "" and labels["Huyện Ba Vì"] == "Ba Vì"  # named once, where there is room
    assert inset["xaxis"] == "x2" and fig["layout"]["yaxis2"]["scaleanchor"] == "x2"
    assert fig["layout"]["annotations"][0]["text"] == "Khu trung tâm, phóng to"
    wide = fig["wide"]  # ≥ 700 px: beside the map instead of under it
    assert wide["xaxis"]["domain"][1] < wide["xaxis2"]["domain"][0] and wide["yaxis"]["domain"] == [0, 1]
    frame = fig["layout"]["shapes"][0]
    assert frame["x0"] < APPROX_CENTROIDS["002"][1] < frame["x1"] and frame["y0"] < APPROX_CENTROIDS["002"][0] < frame["y1"]
    assert [c[1] for c in main["customdata"][:1]] == ["629,00"]  # best first (the labels JS keeps), vi numbers


def test_a_few_scattered_districts_need_no_enlargement():
    pts = [{"code": str(i), "name": f"Huyện {i}", "lat": 20.5 + i * 0.1, "lon": 105.3 + i * 0.1, "total": 700}
           for i in range(8)]
    fig = charts.centroid_map(pts, score_label="Điểm")
    assert len(fig["data"]) == 1 and "xaxis2" not in fig["layout"] and "wide" not in fig
    assert fig["data"][0]["text"][0] == "0"
