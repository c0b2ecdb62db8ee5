"""Pure Plotly figure builders: plain data in, JSON-able figure dict out."""
from __future__ import annotations

import json

from campaign import charts
from campaign.services.setup.geo import APPROX_CENTROIDS

ROWS = [{"code": "002", "name": "Quận Hoàn Kiếm", "total": 91, "group_scores": {"I": 51, "II": 40}},
        {"code": "001", "name": "<b>Ba Đình</b>", "total": 80, "group_scores": {"I": 50, "II": 30}}]
GROUPS = [{"code": "I", "name": "Nhóm I"}, {"code": "II", "name": "Nhóm II"}]
BANDS = [{"code": "xuat_sac", "label": "Xuất sắc", "min_total": 90}, {"code": "tot", "label": "Tốt", "min_total": 75}]


def test_leaderboard_bars_stacked_by_group_with_band_lines():
    fig = charts.leaderboard_bars(ROWS, GROUPS, BANDS, score_label="Điểm")
    json.dumps(fig)  # JSON-able
    assert [t["name"] for t in fig["data"][:2]] == ["Nhóm I", "Nhóm II"]
    assert all(t["orientation"] == "h" for t in fig["data"][:2])
    assert fig["data"][0]["x"] == [51, 50] and fig["data"][1]["x"] == [40, 30]
    assert fig["layout"]["barmode"] == "relative" and fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert [s["x0"] for s in fig["layout"]["shapes"]] == [90, 75]
    # the thresholds are named in the legend (labels on the lines collided), never written over the plot
    assert [t["name"] for t in fig["data"][2:]] == ["Xuất sắc ≥ 90", "Tốt ≥ 75"]
    assert all(t["mode"] == "lines" and t["x"] == [None] for t in fig["data"][2:])
    assert [s["line"]["color"] for s in fig["layout"]["shapes"]] == [t["line"]["color"] for t in fig["data"][2:]]
    assert not fig["layout"].get("annotations")
    # names are entity-escaped for Plotly's HTML-like text
    assert fig["layout"]["yaxis"]["ticktext"] == ["Quận Hoàn Kiếm", "&lt;b&gt;Ba Đình&lt;/b&gt;"]
    assert "template" not in fig["layout"]


def test_points_outside_known_groups_get_their_own_segment():
    rows = [{"code": "1", "name": "A", "total": 50, "group_scores": {"I": 45}}]
    fig = charts.leaderboard_bars(rows, [{"code": "I", "name": "I"}], [], score_label="Điểm")
    assert fig["data"][-1]["x"] == [5]


def test_chart_is_capped_to_top_n():
    rows = [{"code": str(i), "name": str(i), "total": 100 - i, "group_scores": {"I": 100 - i}} for i in range(100)]
    fig = charts.leaderboard_bars(rows, [{"code": "I", "name": "I"}], [], score_label="Điểm", max_bars=60)
    assert len(fig["data"][0]["y"]) == 60


def test_centroid_map_sizes_by_score_without_a_base_map():
    pts = [{"code": "001", "name": "Ba Đình", "lat": 21.0, "lon": 105.8, "total": 90},
           {"code": "271", "name": "Ba Vì", "lat": 21.1, "lon": 105.4, "total": 60}]
    fig = charts.centroid_map(pts, score_label="Điểm")
    sizes = fig["data"][0]["marker"]["size"]
    assert sizes[0] > sizes[1]
    assert fig["data"][0]["type"] == "scatter"  # no geo/mapbox trace: nothing fetched from the network


def test_number_format_follows_locale():
    assert charts._fmt(1234.5, ",.") == "1.234,5"
    assert charts._fmt(1234.5, ".,") == "1,234.5"


def test_approximate_centroids_cover_the_30_districts():
    assert len(APPROX_CENTROIDS) == 30
    assert all(20.5 < lat < 21.4 and 105.2 < lon < 106.1 for lat, lon in APPROX_CENTROIDS.values())


def test_script_json_is_safe_inside_a_script_element():
    out = charts.script_json({"name": "</script><script>alert('x')</script> & Đình\u2028"})
    assert "<" not in out and ">" not in out and "'" not in out and "&" not in out and "\u2028" not in out
    assert "Đình" in out  # Vietnamese kept as UTF-8 (compact)
    assert json.loads(out) == {"name": "</script><script>alert('x')</script> & Đình\u2028"}


def test_every_figure_carries_the_one_plotly_config_and_the_script_uses_it():
    from pathlib import Path

    fig = charts.leaderboard_bars(ROWS, GROUPS, BANDS, score_label="Điểm")
    assert fig["config"] == {"displaylogo": False, "displayModeBar": False, "responsive": True}  # no toolbar over the chart
    script = (Path(charts.__file__).resolve().parents[1] / "static/js/leaderboard.js").read_text(encoding="utf-8")
    assert "fig.config" in script and "displaylogo" not in script  # no second copy of the options in JS
