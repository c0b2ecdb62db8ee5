"""Pure Plotly figure builders: plain data in, a figure dict out (JSON-able).

Nothing here touches Flask or the database. Figures are built once per published snapshot
(when the cache is warmed) and served as cached JSON; a public GET never builds a figure.
Labels go through ``text()``: Plotly renders a small HTML subset in text fields, so user
strings are entity-escaped (Plotly shows ``&lt;`` as ``<``) and can never become markup.
"""
from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from . import formats

# Criteria groups: Paul Tol's "light" scheme (made for colour-blind readers), pale fills that stay apart
# from the saturated band colours (gold/green/blue/red of the badges) in normal, deutan, protan and tritan
# vision (tests/unit/test_charts.py measures it); a white edge separates stacked segments.
GROUP_COLOURS = ("#77aadd", "#ee8866", "#eedd88", "#ffaabb", "#99ddff", "#44bb99", "#bbcc33", "#dddddd")
BAND_COLOURS = ("#c99700", "#1e7b34", "#1a5fb4", "#b3261e", "#5f6368")  # best band first, as the badges
NO_BAND_COLOURS = {"": "#bdbdbd", "not_submitted": "#757575"}  # "Chưa xếp loại", "Chưa nộp"
SERIES_COLOURS = ("#332288", "#9e9e9e", "#44aa99", "#cc6677")  # comparisons (a unit, the city, the cluster)
COLORSCALE = "YlOrRd"
# No toolbar: on a phone it covered the chart; zoom/pan are not needed to read a ranking.
CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def text(value) -> str:
    """A user string made safe for Plotly's pseudo-HTML text rendering."""
    return html.escape("" if value is None else str(value), quote=False)


def to_json(fig: dict | go.Figure) -> str:
    """Compact JSON of a figure (plotly's encoder for numpy-free dicts is plain json)."""
    if isinstance(fig, go.Figure):
        fig = fig.to_plotly_json()
    return json.dumps(fig, ensure_ascii=False, separators=(",", ":"), default=_default)


_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                   "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_RE = re.compile("[<>&'\u2028\u2029]")


def script_json(fig: dict) -> str:
    """Compact JSON safe inside ``<script type="application/json">`` (like Jinja's ``tojson``:
    ``<``, ``>``, ``&``, ``'`` and line separators escaped), without ASCII-escaping Vietnamese."""
    return _SCRIPT_RE.sub(lambda m: _SCRIPT_ESCAPES[m.group(0)], to_json(fig))


def _default(obj):
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(type(obj).__name__)


def _out(fig: go.Figure) -> dict:
    """Plain dict without plotly.py's default template (plotly.js has its own defaults).

    The figure carries its ``config`` (CONFIG, the one definition): static/js/leaderboard.js
    passes it to ``Plotly.newPlot`` as it is.
    """
    out = fig.to_plotly_json()
    out.get("layout", {}).pop("template", None)
    out["config"] = dict(CONFIG)
    return out


# Above the plot, wrapping as needed (xref="container" made plotly.js fail on a phone with long tick labels).
_LEGEND = dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom", traceorder="normal")


def _layout(height: int, **extra) -> dict:
    """Room for every label at 375 px as at 1366 px: axes grow their margins for their numbers and
    titles (automargin), the legend sits above the plot (never on rotated tick labels) and wraps."""
    base = dict(height=height, margin=dict(l=8, r=8, t=8, b=8, autoexpand=True), font=dict(size=12),
                paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", separators=",.",
                legend=dict(_LEGEND))
    base.update(extra)
    for name in ("xaxis", "yaxis", "yaxis2"):
        if name in base:
            axis = base[name]
            axis.setdefault("automargin", True)
            if isinstance(axis.get("title"), dict):
                axis["title"].setdefault("standoff", 6)
            if axis.get("type") != "category":
                axis.setdefault("separatethousands", True)  # 1.234 (vi) / 1,234 (en) on ticks too
    base.get("yaxis", {}).setdefault("ticklabelstandoff", 4)  # names never touch the bars
    return base


def wrap(label: str, width: int = 28, lines: int = 2) -> str:
    """A (safe) label broken at spaces into at most ``lines`` lines of about ``width`` characters
    (Plotly never wraps: a long group name ran off a phone's screen); the cut part ends in "…"."""
    out: list[str] = []
    for word in str(label).split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:max(1, width - 1)].rstrip() + "…"
    # each break stands for a space ("mass <br>mobilization"): copied or read aloud, words stay apart
    return " <br>".join(text(line) for line in out)


def _num(value: float | None, separators: str, digits: int = 2) -> str:
    """A figure for hover text in the page's form (formats.number: 1.234,50 vi / 1,234.50 en)."""
    return formats.number(value, "en" if separators == ".," else "vi", digits)


def band_colours(bands: Sequence[dict]) -> dict:
    """Colour of each band code: the badges' order (best = gold … lowest = red), greys for none/not submitted."""
    ranked = sorted((b for b in bands if b["code"] not in NO_BAND_COLOURS), key=lambda b: -b["min_total"])
    out = {b["code"]: BAND_COLOURS[min(i, len(BAND_COLOURS) - 1)] for i, b in enumerate(ranked)}
    out.update({code: NO_BAND_COLOURS[code] for code in NO_BAND_COLOURS})
    return out


def leaderboard_bars(rows: Sequence[dict], groups: Sequence[dict], bands: Sequence[dict], *,
                     score_label: str, separators: str = ",.", max_bars: int = 60) -> dict:
    """Horizontal bars sorted by score (best on top), stacked by criteria group.

    rows: [{"code", "name", "total", "group_scores": {code: points}}] in rank order.
    groups: [{"code", "name"}] in framework order. bands: [{"label", "min_total"}].
    Only the first ``max_bars`` rows are drawn (the table lists them all). The band thresholds are
    dashed lines named in the legend ("Xuất sắc ≥ 90"): labels written on the lines collided.
    """
    shown = list(rows[:max_bars])
    codes = [r["code"] for r in shown]
    names = [text(r["name"]) for r in shown]
    fig = go.Figure()
    known = [g["code"] for g in groups]
    edge = dict(color="#ffffff", width=1)
    for i, group in enumerate(groups):
        values = [(r.get("group_scores") or {}).get(group["code"], 0) for r in shown]
        fig.add_trace(go.Bar(
            orientation="h", y=codes, x=values, name=wrap(group["name"], 34, 3), legendgroup="groups",
            marker=dict(color=GROUP_COLOURS[i % len(GROUP_COLOURS)], line=edge),
            customdata=[[n, _num(v, separators)] for n, v in zip(names, values, strict=True)],
            hovertemplate="%{customdata[0]}: %{customdata[1]}<extra>" + wrap(group["name"], 40) + "</extra>"))
    # Points not attributed to a known group (rounding, overrides of the total) keep bars honest.
    rest = [round(r["total"] - sum(v for k, v in (r.get("group_scores") or {}).items() if k in known), 4)
            for r in shown]
    if not groups or any(abs(v) > 1e-6 for v in rest):
        values = rest if groups else [r["total"] for r in shown]
        fig.add_trace(go.Bar(orientation="h", y=codes, x=values, name=text(score_label), legendgroup="groups",
                             marker=dict(color="#9e9e9e", line=edge),
                             customdata=[[n, _num(v, separators)] for n, v in zip(names, values, strict=True)],
                             hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>"))
    top = max([r["total"] for r in shown] + [b["min_total"] for b in bands] + [1])
    colours = band_colours(bands)
    shapes = []
    for band in sorted(bands, key=lambda b: -b["min_total"]):
        colour = colours.get(band.get("code"), BAND_COLOURS[len(shapes) % len(BAND_COLOURS)])
        line = dict(color=colour, width=2, dash="dash")
        shapes.append(dict(type="line", xref="x", yref="paper", x0=band["min_total"], x1=band["min_total"],
                           y0=0, y1=1, line=line))
        # the legend entry of the line: a trace with no point draws only its key
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=line, hoverinfo="skip", legendgroup="bands",
                                 name=wrap(band["label"] + " ≥ " + _fmt(band["min_total"], separators), 34)))
    height = max(260, 26 * len(shown) + 90)
    fig.update_layout(**_layout(height, barmode="relative", shapes=shapes, separators=separators,
                                legend=dict(_LEGEND, traceorder="grouped", tracegroupgap=6),
                                xaxis=dict(title=dict(text=text(score_label)), range=[min(0, min(rest + [0])), top * 1.05],
                                           gridcolor="#eeeeee"),
                                yaxis=dict(autorange="reversed", type="category", tickmode="array",
                                           tickvals=codes, ticktext=[text(_short(r["name"] or "", 22)) for r in shown])))
    return _out(fig)


def _short(label: str, width: int) -> str:
    """A one-line tick label of at most ``width`` characters (the full name is in the table and hover)."""
    return label if len(label) <= width else label[:width - 1].rstrip() + "…"


def unit_groups(groups: Sequence[dict], series: Sequence[dict], *, score_label: str,
                separators: str = ",.") -> dict:
    """Bars per criteria group: the unit vs comparison series (city average, cluster best).

    series: [{"name", "values": {group_code: points}}], the unit first. Horizontal, group names
    on the left in up to five lines (rotated names under the plot ran into the legend; two lines cut
    "Government mass mobilization: citizen…"), each group as tall as its name needs.
    """
    fig = go.Figure()
    codes = [g["code"] for g in groups]  # categories by code: two names cut alike stay two bars
    for i, s in enumerate(series):
        values = [s["values"].get(g["code"]) for g in groups]
        fig.add_trace(go.Bar(orientation="h", y=codes, x=values, name=wrap(s["name"], 34),
                             marker_color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                             customdata=[[text(g["name"]), _num(v, separators)] for g, v in zip(groups, values, strict=True)],
                             hovertemplate="%{customdata[0]}: %{customdata[1]}<extra>" + wrap(s["name"], 40) + "</extra>"))
    ticks = [wrap(g["name"], 26, 5) for g in groups]
    lines = max([t.count("<br>") + 1 for t in ticks] + [1])
    height = max(300, max(14 + 12 * len(series), 15 * lines + 10) * len(groups) + 120)
    fig.update_layout(**_layout(height, barmode="group", separators=separators, bargap=0.25,
                                xaxis=dict(title=dict(text=text(score_label)), gridcolor="#eeeeee"),
                                yaxis=dict(type="category", autorange="reversed", tickmode="array", tickvals=codes,
                                           ticktext=ticks)))
    return _out(fig)


def history(points: Sequence[dict], *, score_label: str, rank_label: str, separators: str = ",.") -> dict:
    """Score (bars) and rank (line, inverted axis) across published results. points: [{label,total,rank}]."""
    labels = [wrap(p["label"], 16) for p in points]
    slots = list(range(len(points)))  # two publications with the same label stay two bars
    worst = max([p["rank"] for p in points if p["rank"] is not None] + [1])  # rank 1 on top, whole ranks only
    fig = go.Figure()
    fig.add_trace(go.Bar(x=slots, y=[p["total"] for p in points], name=text(score_label), marker_color=SERIES_COLOURS[2],
                         customdata=[_num(p["total"], separators) for p in points],
                         hovertemplate="%{customdata}<extra>" + text(score_label) + "</extra>"))
    fig.add_trace(go.Scatter(x=slots, y=[p["rank"] for p in points], name=text(rank_label), yaxis="y2",
                             mode="lines+markers", line=dict(color=SERIES_COLOURS[0]),
                             hovertemplate="%{y}<extra>" + text(rank_label) + "</extra>"))
    fig.update_layout(**_layout(300, separators=separators,
                                xaxis=dict(tickmode="array", tickvals=slots, ticktext=labels, tickangle=0),
                                yaxis=dict(title=dict(text=text(score_label)), gridcolor="#eeeeee", rangemode="tozero"),
                                yaxis2=dict(title=dict(text=text(rank_label)), overlaying="y", side="right",
                                            range=[worst + 0.5, 0.5], tickformat="d", showgrid=False, zeroline=False,
                                            **({"dtick": 1} if worst <= 10 else {}))))
    return _out(fig)


def bands_per_cluster(clusters: Sequence[str], bands: Sequence[dict], counts: dict, *, count_label: str) -> dict:
    """Stacked bars: number of units per band in each cluster. counts[(cluster, band_code)] -> n.

    Horizontal, cluster names on the left in two lines at most; bands in the badges' colours.
    """
    fig = go.Figure()
    colours = band_colours(bands)
    slots = list(range(len(clusters)))
    for i, band in enumerate(bands):
        values = [counts.get(f"{c}\x1f{band['code']}", 0) for c in clusters]
        fig.add_trace(go.Bar(orientation="h", y=slots, x=values, name=wrap(band["label"], 34),
                             marker=dict(color=colours.get(band["code"], BAND_COLOURS[i % len(BAND_COLOURS)]),
                                         line=dict(color="#ffffff", width=1)),
                             customdata=[text(c) for c in clusters],
                             hovertemplate="%{customdata}: %{x}<extra>" + text(band["label"]) + "</extra>"))
    most = max([sum(counts.get(f"{c}\x1f{b['code']}", 0) for b in bands) for c in clusters] + [1])
    height = max(260, 44 * len(clusters) + 120)
    fig.update_layout(**_layout(height, barmode="stack", yaxis=dict(autorange="reversed", tickmode="array", tickvals=slots,
                                                                    ticktext=[wrap(c, 24) for c in clusters]),
                                xaxis=dict(title=dict(text=text(count_label)), gridcolor="#eeeeee",
                                           tickformat="d", **({"dtick": 1} if most <= 10 else {}))))
    return _out(fig)


def _bin_width(span: float, max_bins: int) -> float:
    """The smallest 'round' width (1, 2, 2.5 or 5 × 10^k) that covers ``span`` in at most ``max_bins`` bins."""
    raw = max(span, 1e-9) / max_bins
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= raw)


def score_bands(rows: Sequence[dict], bands: Sequence[dict], *, score_label: str, count_label: str,
                other_label: str, separators: str = ",.", max_bins: int = 20) -> dict:
    """A long board in one small chart: units per score bin, stacked by the band each unit received.

    rows: [{"total", "band"}] of the scored units. bands: [{"code", "label", "min_total"}].
    At most ``max_bins`` bars whatever the number of units (a 3,321-unit board stays readable).
    """
    totals = [r["total"] for r in rows if r.get("total") is not None]
    lo, hi = (min(totals), max(totals)) if totals else (0.0, 1.0)
    width = _bin_width(hi - lo, max_bins)
    start = math.floor(lo / width) * width
    n_bins = max(1, min(max_bins + 1, math.floor((hi - start) / width) + 1))
    centres = [start + (i + 0.5) * width for i in range(n_bins)]
    ranges = [f"{_fmt(start + i * width, separators)}–{_fmt(start + (i + 1) * width, separators)}" for i in range(n_bins)]
    ordered = sorted(bands, key=lambda b: -b["min_total"])
    known = {b["code"] for b in ordered}
    colours = band_colours(ordered)  # as the badges and the other charts
    series = [(b["code"], b["label"], colours.get(b["code"], BAND_COLOURS[-1])) for b in ordered]
    if any(r.get("band") not in known for r in rows):
        series.append((None, other_label, NO_BAND_COLOURS[""]))
    counts: dict[tuple, int] = {}
    for r in rows:
        if r.get("total") is None:
            continue
        i = min(n_bins - 1, max(0, math.floor((r["total"] - start) / width)))
        code = r.get("band") if r.get("band") in known else None
        counts[(code, i)] = counts.get((code, i), 0) + 1
    fig = go.Figure()
    for code, label, colour in series:
        fig.add_trace(go.Bar(x=centres, y=[counts.get((code, i), 0) for i in range(n_bins)], width=width * 0.92,
                             name=text(label), marker_color=colour, customdata=ranges,
                             hovertemplate="%{customdata}: %{y}<extra>" + text(label) + "</extra>"))
    fig.update_layout(**_layout(300, barmode="stack", separators=separators,
                                xaxis=dict(title=dict(text=text(score_label)), gridcolor="#eeeeee"),
                                yaxis=dict(title=dict(text=text(count_label)), gridcolor="#eeeeee", rangemode="tozero")))
    return _out(fig)


def _colour(value: float, lo: float, hi: float) -> str:
    t = 0.5 if hi <= lo else min(1.0, max(0.0, (value - lo) / (hi - lo)))
    return sample_colorscale(COLORSCALE, [t])[0]


def _geo_axes(lat_centre: float) -> dict:
    # Equirectangular with the right aspect at Hà Nội's latitude; no tiles, no network.
    return dict(xaxis=dict(visible=False), yaxis=dict(visible=False, scaleanchor="x",
                                                      scaleratio=1 / math.cos(math.radians(lat_centre))))


def centroid_map(points: Sequence[dict], *, score_label: str, separators: str = ",.", inset_label: str = "") -> dict:
    """District centroids as points sized and coloured by score. points: [{code,name,lat,lon,total}].

    Where five or more districts clump (the inner city), they are drawn again, enlarged and named,
    in a second map under the first (a dashed frame on the first shows where); the first map names
    only the others. Best first, so static/js/leaderboard.js keeps the labels of the higher scores
    when two would still overlap (every name stays in the hover text and in the table under the map).
    Labels drop "Quận"/"Huyện"/"Thị xã" to take less room.
    """
    fig = go.Figure()
    points = sorted(points, key=lambda p: -p["total"])
    lat_c = sum(p["lat"] for p in points) / len(points) if points else 21.0
    dense = {p["code"] for p in _clump(points, lat_c)}
    layout = _geo_axes(lat_c)
    if points:
        totals = [p["total"] for p in points]
        lo, hi = min(totals), max(totals)

        def trace(chosen: list[dict], named: bool, axes: tuple[str, str] = ("x", "y"), scale: bool = False):
            return go.Scatter(
                x=[p["lon"] for p in chosen], y=[p["lat"] for p in chosen], xaxis=axes[0], yaxis=axes[1],
                mode="markers+text", textposition="top center", textfont=dict(size=10),
                text=[text(_place(p["name"])) if named or p["code"] not in dense else "" for p in chosen],
                customdata=[[text(p["name"]), _num(p["total"], separators)] for p in chosen],
                hovertemplate="%{customdata[0]}: %{customdata[1]}<extra></extra>",
                marker=dict(size=[8 + 14 * (p["total"] - lo) / ((hi - lo) or 1.0) for p in chosen],
                            color=[p["total"] for p in chosen], colorscale=COLORSCALE, cmin=lo, cmax=hi,
                            opacity=0.85, showscale=scale, line=dict(color="#333333", width=0.5),
                            **({"colorbar": _colourbar(score_label)} if scale else {})))

        fig.add_trace(trace(points, False, scale=True))  # names the districts outside the clump
        if dense:
            inner = [p for p in points if p["code"] in dense]
            fig.add_trace(trace(inner, True, ("x2", "y2")))
            xs, ys = [p["lon"] for p in inner], [p["lat"] for p in inner]
            pad_x, pad_y = (max(xs) - min(xs)) * 0.12 + 0.005, (max(ys) - min(ys)) * 0.15 + 0.005
            box = dict(x0=min(xs) - pad_x, x1=max(xs) + pad_x, y0=min(ys) - pad_y, y1=max(ys) + pad_y)
            layout["yaxis"]["domain"] = [0.42, 1]
            layout["xaxis2"] = dict(visible=False, anchor="y2", range=[box["x0"], box["x1"]])
            layout["yaxis2"] = dict(visible=False, anchor="x2", domain=[0, 0.36], range=[box["y0"], box["y1"]],
                                    scaleanchor="x2", scaleratio=layout["yaxis"]["scaleratio"])
            layout["shapes"] = [dict(type="rect", xref="x", yref="y", line=dict(color="#555555", width=1, dash="dot"),
                                     **box)]
            title = dict(text=text(inset_label), xref="paper", yref="paper", x=0, y=0.37, xanchor="left",
                         yanchor="bottom", showarrow=False, font=dict(size=11, color="#555555"))
            layout["annotations"] = [title] if inset_label else []
    fig.update_layout(**_layout(780 if dense else 520, showlegend=False, separators=separators, **layout))
    out = _out(fig)
    if dense:  # a wide screen (static/js/leaderboard.js, ≥ 700 px) puts the enlargement beside the map
        out["wide"] = dict(height=560, xaxis=dict(domain=[0, 0.56]), yaxis=dict(domain=[0, 1]),
                           xaxis2=dict(domain=[0.62, 1]), yaxis2=dict(domain=[0.06, 0.9]),
                           annotations=[dict(a, x=0.62, y=0.91) for a in layout["annotations"]])
    return out


def _clump(points: Sequence[dict], lat_c: float, share: float = 0.13, least: int = 5) -> list[dict]:
    """The largest group of points within ``share`` of the map's extent of one point, if it has ``least``."""
    if len(points) < least + 2:
        return []
    kx = math.cos(math.radians(lat_c))
    xy = [(p["lon"] * kx, p["lat"]) for p in points]
    extent = max(max(x for x, _ in xy) - min(x for x, _ in xy), max(y for _, y in xy) - min(y for _, y in xy))
    radius = share * extent
    best: list[int] = []
    for a in xy:
        near = [j for j, b in enumerate(xy) if math.dist(a, b) <= radius]
        if len(near) > len(best):
            best = near
    return [points[j] for j in best] if len(best) >= least and len(best) < len(points) else []


def choropleth(features: Sequence[dict], scores: dict, names: dict, *, score_label: str,
               no_data_label: str, separators: str = ",.") -> dict:
    """Filled district polygons coloured by score, drawn as plain scatter shapes (no base map).

    features: [{"code", "rings": [[[lon, lat], ...], ...]}]; scores: {code: total}; names: {code: name}.
    """
    fig = go.Figure()
    values = [v for v in scores.values() if v is not None]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    lats = []
    for feature in features:
        code = feature["code"]
        score = scores.get(code)
        fill = _colour(score, lo, hi) if score is not None else "#e0e0e0"
        label = text(names.get(code, code)) + ": " + (_num(score, separators) if score is not None else text(no_data_label))
        for ring in feature["rings"]:
            lats.extend(p[1] for p in ring)
            fig.add_trace(go.Scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], mode="lines", fill="toself",
                                     fillcolor=fill, line=dict(color="#555555", width=0.6), hoveron="fills",
                                     text=label, hoverinfo="text", showlegend=False))
    if values:  # an invisible trace carries the colour bar
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(color=[lo, hi], colorscale=COLORSCALE, showscale=True,
                                             colorbar=_colourbar(score_label))))
    lat_c = sum(lats) / len(lats) if lats else 21.0
    fig.update_layout(**_layout(560, showlegend=False, separators=separators, **_geo_axes(lat_c)))
    return _out(fig)


def _colourbar(title: str) -> dict:
    """A horizontal colour bar under the map: on a phone a vertical one took a quarter of the width."""
    return dict(orientation="h", x=0.5, xanchor="center", y=-0.02, yanchor="top", len=0.9, thickness=12,
                title=dict(text=text(title), side="top"))


_PLACE_WORDS = ("Thành phố ", "Thị xã ", "Quận ", "Huyện ")
_PLACE_SUFFIXES = (" District", " Town", " City")


def _place(name: str) -> str:
    """A district's name without its kind, for a map label ("Quận Ba Đình", "Ba Dinh District" → "Ba Đình", "Ba Dinh")."""
    for word in _PLACE_WORDS:
        if name.startswith(word) and len(name) > len(word):
            return name[len(word):]
    for word in _PLACE_SUFFIXES:
        if name.endswith(word) and len(name) > len(word):
            return name[:-len(word)]
    return name


def _fmt(value: float | None, separators: str) -> str:
    if value is None:
        return "–"
    s = f"{value:,.2f}".rstrip("0").rstrip(".")
    decimal, group = separators[0], separators[1]
    return s.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
