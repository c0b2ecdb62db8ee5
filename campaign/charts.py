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

GROUP_COLOURS = ("#b3261e", "#1a5fb4", "#1e7b34", "#c99700", "#6a3d9a", "#a85d00", "#00838f", "#5f6368")
BAND_COLOURS = ("#c99700", "#1e7b34", "#1a5fb4", "#b3261e", "#5f6368")
COLORSCALE = "YlOrRd"
CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}


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


def _layout(height: int, **extra) -> dict:
    base = dict(height=height, margin=dict(l=10, r=10, t=30, b=40), font=dict(size=12),
                paper_bgcolor="#ffffff", plot_bgcolor="#ffffff", separators=",.",
                legend=dict(orientation="h", y=-0.12 if height < 500 else -0.04))
    base.update(extra)
    return base


def leaderboard_bars(rows: Sequence[dict], groups: Sequence[dict], bands: Sequence[dict], *,
                     score_label: str, separators: str = ",.", max_bars: int = 60) -> dict:
    """Horizontal bars sorted by score (best on top), stacked by criteria group.

    rows: [{"code", "name", "total", "group_scores": {code: points}}] in rank order.
    groups: [{"code", "name"}] in framework order. bands: [{"label", "min_total"}].
    Only the first ``max_bars`` rows are drawn (the table lists them all).
    """
    shown = list(rows[:max_bars])
    codes = [r["code"] for r in shown]
    names = [text(r["name"]) for r in shown]
    fig = go.Figure()
    known = [g["code"] for g in groups]
    for i, group in enumerate(groups):
        fig.add_trace(go.Bar(
            orientation="h", y=codes, x=[(r.get("group_scores") or {}).get(group["code"], 0) for r in shown],
            name=text(group["name"]), marker_color=GROUP_COLOURS[i % len(GROUP_COLOURS)],
            hovertemplate="%{customdata}: %{x}<extra>" + text(group["name"]) + "</extra>",
            customdata=names))
    # Points not attributed to a known group (rounding, overrides of the total) keep bars honest.
    rest = [round(r["total"] - sum(v for k, v in (r.get("group_scores") or {}).items() if k in known), 4)
            for r in shown]
    if not groups or any(abs(v) > 1e-6 for v in rest):
        fig.add_trace(go.Bar(orientation="h", y=codes, x=rest if groups else [r["total"] for r in shown],
                             name=text(score_label), marker_color="#9e9e9e", customdata=names,
                             hovertemplate="%{customdata}: %{x}<extra></extra>"))
    top = max([r["total"] for r in shown] + [b["min_total"] for b in bands] + [1])
    shapes, annotations = [], []
    for i, band in enumerate(sorted(bands, key=lambda b: -b["min_total"])):
        colour = BAND_COLOURS[i % len(BAND_COLOURS)]
        shapes.append(dict(type="line", xref="x", yref="paper", x0=band["min_total"], x1=band["min_total"],
                           y0=0, y1=1, line=dict(color=colour, width=2, dash="dash")))
        annotations.append(dict(x=band["min_total"], y=1, xref="x", yref="paper", yanchor="bottom",
                                text=text(band["label"]) + " ≥ " + _fmt(band["min_total"], separators),
                                showarrow=False, font=dict(color=colour, size=11)))
    height = max(260, 26 * len(shown) + 110)
    fig.update_layout(**_layout(height, barmode="relative", shapes=shapes, annotations=annotations,
                                separators=separators,
                                xaxis=dict(title=dict(text=text(score_label)), range=[min(0, min(rest + [0])), top * 1.05],
                                           gridcolor="#eeeeee"),
                                yaxis=dict(autorange="reversed", type="category", tickmode="array",
                                           tickvals=codes, ticktext=names, automargin=True)))
    return _out(fig)


def unit_groups(groups: Sequence[dict], series: Sequence[dict], *, score_label: str,
                separators: str = ",.") -> dict:
    """Grouped bars per criteria group: the unit vs comparison series (city average, cluster best).

    series: [{"name", "values": {group_code: points}}], the unit first.
    """
    fig = go.Figure()
    labels = [text(g["name"]) for g in groups]
    for i, s in enumerate(series):
        fig.add_trace(go.Bar(x=labels, y=[s["values"].get(g["code"]) for g in groups], name=text(s["name"]),
                             marker_color=("#b3261e", "#9e9e9e", "#1a5fb4")[i % 3]))
    fig.update_layout(**_layout(340, barmode="group", separators=separators,
                                yaxis=dict(title=dict(text=text(score_label)), gridcolor="#eeeeee")))
    return _out(fig)


def history(points: Sequence[dict], *, score_label: str, rank_label: str, separators: str = ",.") -> dict:
    """Score (bars) and rank (line, inverted axis) across published results. points: [{label,total,rank}]."""
    labels = [text(p["label"]) for p in points]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=[p["total"] for p in points], name=text(score_label), marker_color="#1a5fb4"))
    fig.add_trace(go.Scatter(x=labels, y=[p["rank"] for p in points], name=text(rank_label), yaxis="y2",
                             mode="lines+markers", line=dict(color="#b3261e")))
    fig.update_layout(**_layout(300, separators=separators,
                                yaxis=dict(title=dict(text=text(score_label)), gridcolor="#eeeeee"),
                                yaxis2=dict(title=dict(text=text(rank_label)), overlaying="y", side="right",
                                            autorange="reversed", rangemode="tozero", dtick=1)))
    return _out(fig)


def distribution(totals_by_series: Sequence[dict], *, score_label: str, count_label: str,
                 separators: str = ",.") -> dict:
    """Histogram of scores. totals_by_series: [{"name", "totals": [..]}]."""
    fig = go.Figure()
    for i, s in enumerate(totals_by_series):
        fig.add_trace(go.Histogram(x=list(s["totals"]), name=text(s["name"]), opacity=0.75,
                                   marker_color=("#1a5fb4", "#c99700")[i % 2], nbinsx=20))
    fig.update_layout(**_layout(320, barmode="overlay", separators=separators,
                                xaxis=dict(title=dict(text=text(score_label))),
                                yaxis=dict(title=dict(text=text(count_label)), gridcolor="#eeeeee")))
    return _out(fig)


def bands_per_cluster(clusters: Sequence[str], bands: Sequence[dict], counts: dict, *, count_label: str) -> dict:
    """Stacked bars: number of units per band in each cluster. counts[(cluster, band_code)] -> n."""
    fig = go.Figure()
    for i, band in enumerate(bands):
        fig.add_trace(go.Bar(x=[text(c) for c in clusters], y=[counts.get(f"{c}\x1f{band['code']}", 0) for c in clusters],
                             name=text(band["label"]), marker_color=BAND_COLOURS[i % len(BAND_COLOURS)]))
    fig.update_layout(**_layout(320, barmode="stack", yaxis=dict(title=dict(text=text(count_label)),
                                                                 gridcolor="#eeeeee", dtick=1)))
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
    series = [(b["code"], b["label"], BAND_COLOURS[i % len(BAND_COLOURS)]) for i, b in enumerate(ordered)]
    if any(r.get("band") not in known for r in rows):
        series.append((None, other_label, "#9e9e9e"))
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


def centroid_map(points: Sequence[dict], *, score_label: str, separators: str = ",.") -> dict:
    """District centroids as points sized and coloured by score. points: [{code,name,lat,lon,total}]."""
    fig = go.Figure()
    if points:
        totals = [p["total"] for p in points]
        lo, hi = min(totals), max(totals)
        span = (hi - lo) or 1.0
        fig.add_trace(go.Scatter(
            x=[p["lon"] for p in points], y=[p["lat"] for p in points], mode="markers+text",
            text=[text(p["name"]) for p in points], textposition="top center", textfont=dict(size=9),
            customdata=totals, hovertemplate="%{text}: %{customdata}<extra></extra>",
            marker=dict(size=[10 + 22 * (t - lo) / span for t in totals], color=totals, colorscale=COLORSCALE,
                        showscale=True, colorbar=dict(title=dict(text=text(score_label))),
                        line=dict(color="#333333", width=0.5))))
    lat_c = sum(p["lat"] for p in points) / len(points) if points else 21.0
    fig.update_layout(**_layout(520, showlegend=False, separators=separators, **_geo_axes(lat_c)))
    return _out(fig)


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
        label = text(names.get(code, code)) + ": " + (_fmt(score, separators) if score is not None else text(no_data_label))
        for ring in feature["rings"]:
            lats.extend(p[1] for p in ring)
            fig.add_trace(go.Scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], mode="lines", fill="toself",
                                     fillcolor=fill, line=dict(color="#555555", width=0.6), hoveron="fills",
                                     text=label, hoverinfo="text", showlegend=False))
    if values:  # an invisible trace carries the colour bar
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip",
                                 marker=dict(color=[lo, hi], colorscale=COLORSCALE, showscale=True,
                                             colorbar=dict(title=dict(text=text(score_label))))))
    lat_c = sum(lats) / len(lats) if lats else 21.0
    fig.update_layout(**_layout(560, showlegend=False, separators=separators, **_geo_axes(lat_c)))
    return _out(fig)


def _fmt(value: float | None, separators: str) -> str:
    if value is None:
        return "–"
    s = f"{value:,.2f}".rstrip("0").rstrip(".")
    decimal, group = separators[0], separators[1]
    return s.replace(",", "\x00").replace(".", decimal).replace("\x00", group)
