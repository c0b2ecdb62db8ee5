"""Builders of the cached public payloads (HTML fragments with figure JSON, API bodies, exports).

Each builder runs only on a cache miss (or when the cache service's ``warm`` runs after a publish). Request
handlers call ``get_*``, which go through leaderboard_cache: a hit runs no SQL and builds no
Plotly figure. Fragments never contain per-user content (no CSRF token, no user name): the
per-request page shell (base.html) is rendered around them.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from campaign.safe_export import csv_text, xlsx_bytes
from campaign.services.results import leaderboard as lb
from campaign.services.results import leaderboard_cache as cache
from campaign.services.setup.geo import centroid, polygons
from campaign.vietnamese import fold

from .. import band_reasons, charts, formats
from ..labels import band_label
from ..results import explain_words
from ..templating import stored_label

LOCALES = ("vi", "en")
PAGE_SIZE = 50  # rows of the ranked table per page
API_PER_PAGE = PAGE_SIZE  # rows of a page of the JSON board by default (``per_page``) ...
API_MAX_PER_PAGE = 500  # ... and at most
COMPACT_FROM = 60  # a longer board draws its top TOP_BARS and a distribution instead of one bar per unit
TOP_BARS = 20
MAX_QUERY = 60  # characters of a "find a unit" search (longer names do not exist)
NOT_SUBMITTED = "not_submitted"  # UnitResult.status of a unit that did not submit: shown as "Chưa nộp"


def separators(locale: str) -> str:
    return ".," if locale == "en" else ",."


def loc_name(item: dict, locale: str) -> str:
    return (item.get("name_en") if locale == "en" and item.get("name_en") else item.get("name")) or ""


def _bands(camp_bands: list[dict], locale: str) -> list[dict]:
    out = []
    for b in camp_bands:
        try:
            out.append({"code": b["code"], "min_total": float(b.get("min_total") or 0),
                        "label": band_label(b, locale)})
        except (TypeError, ValueError):
            continue
    return out


# ---------------------------------------------------------------- board data (1 SQL per level)
def snapshot_key(camp: dict) -> str:
    """Cache key part of the campaign's current published snapshot: its id (and publish time)."""
    run = camp["runs"][0]
    return f"{run['id']}@{run['published_at']}"


def _rows_payload(camp: dict) -> dict:
    rows = lb.run_rows(camp)
    levels = {}
    for level, number in lb.LEVELS.items():
        clusters: dict[str, int] = {}
        mine = [r for r in rows if r["level"] == number]
        for r in mine:
            if r["cluster"]:
                clusters[r["cluster"]] = clusters.get(r["cluster"], 0) + 1
        levels[level] = {"count": len(mine), "clusters": dict(sorted(clusters.items()))}
    return {"rows": rows, "levels": levels}


def _run_payload(camp: dict) -> dict:
    # kept=True: immutable per snapshot and generation, so a worker never re-reads its megabytes
    # from Redis while serving (a 3,321-unit run is ~3 MB of JSON: a stall in the tail latency)
    return cache.payload(snapshot_key(camp), "data:rows", lambda: _rows_payload(camp), kept=True)


def run_rows(camp: dict) -> list[dict]:
    """All rows of the current run (both levels): the one statement every page derives from."""
    return _run_payload(camp)["rows"]


def level_meta(camp: dict, level: str) -> dict:
    """``{"count": units, "clusters": {code: units}}`` of a level: what a request needs without scanning rows."""
    return _run_payload(camp)["levels"][level]


def default_level(camp: dict) -> str:
    """The level a board opens at: districts, or communes for a campaign without districts (two-tier, from 1 July 2025)."""
    return "district" if level_meta(camp, "district")["count"] else "commune"


def _board_data(camp: dict, level: str) -> dict:
    data = lb.board_data(camp, level, None, run_rows(camp))
    for r in data["rows"]:  # "find a unit" compares folded text (no diacritics, lower case)
        r["search"] = fold(" ".join(filter(None, (r["name"], r["name_en"], r["code"]))))
    return data


def board_all(camp: dict, level: str) -> dict:
    return cache.payload(snapshot_key(camp), f"data:{level}", lambda: _board_data(camp, level), kept=True)


def board(camp: dict, level: str, cluster: str | None) -> dict:
    """The board of a level, filtered to a cluster when it exists (no SQL: derived in Python)."""
    data = board_all(camp, level)
    if not cluster or cluster not in {c["code"] for c in data["clusters"]}:
        return data
    rows = [dict(r) for r in data["rows"] if r["cluster"] == cluster]  # shape_rows sets top-level keys only
    shaped = lb.shape_rows(rows, in_cluster=True, show_intervals=data["show_intervals"])
    return {**data, "cluster": cluster, "rows": shaped}


def clean_query(raw: str | None) -> str:
    """A "find a unit" search as the boards use it: spaces collapsed, at most MAX_QUERY characters."""
    return " ".join((raw or "").split())[:MAX_QUERY]


def matching(rows: list[dict], query: str) -> list[dict]:
    """The board rows whose name (vi or en) or code holds every word of ``query``, diacritics and case
    ignored ("ba dinh" finds "Quận Ba Đình"); all rows for an empty query. The HTML board and the API's."""
    words = fold(query).split()
    if not words:
        return rows
    return [r for r in rows if all(w in r["search"] for w in words)]


def valid_cluster(camp: dict, level: str, cluster: str | None) -> str | None:
    if not cluster:
        return None
    return cluster if cluster in level_meta(camp, level)["clusters"] else None


def page_count(n_rows: int, per_page: int = PAGE_SIZE) -> int:
    return max(1, -(-n_rows // per_page))


def pager(page: int, pages: int, n_rows: int) -> dict:
    """Where a page sits: first/last row shown (1-based) and the page numbers to link (None = a gap)."""
    near = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for n in near:
        if links and n - (links[-1] or 0) > 1:
            links.append(None)
        links.append(n)
    return {"page": page, "pages": pages, "total": n_rows, "links": links,
            "first": min(n_rows, (page - 1) * PAGE_SIZE + 1), "last": min(n_rows, page * PAGE_SIZE)}


# ---------------------------------------------------------------- HTML fragments
def _script_json(fig: dict) -> Markup:
    return Markup(charts.script_json(fig))


def _render(template: str, locale: str, **ctx) -> dict:
    with force_locale(locale):
        content = render_template(template, locale=locale, band_label=band_label, loc_name=loc_name,
                                  published_at=lb.published_at, script_json=_script_json, **ctx)
        return {"title": ctx.get("title_text", ""), "content": content}


def _board_figures(data: dict, locale: str) -> dict:
    """The board's chart(s): one bar per unit up to COMPACT_FROM units; beyond, the top TOP_BARS
    and the distribution of scores by band (a chart of 3,321 bars is unreadable)."""
    compact = len(data["rows"]) > COMPACT_FROM
    bands = _bands(data["bands"], locale)
    groups = [{"code": g["code"], "name": loc_name(g, locale)} for g in data["groups"]]
    scored = [r for r in data["rows"] if r.get("status") != NOT_SUBMITTED and r["total"] is not None]
    shown = scored[:TOP_BARS] if compact else data["rows"]  # (small boards: as before)
    rows_for_chart = [{"code": r["code"], "name": loc_name(r, locale), "total": r["total"],
                       "group_scores": r["group_scores"]} for r in shown]
    lines = [b for b in bands if b["min_total"] > 0]  # a band without a minimum total has no line ("≥ 0" says nothing)
    figs = {"fig": charts.leaderboard_bars(rows_for_chart, groups, lines, score_label=_("Điểm"),
                                           separators=separators(locale)),
            "chart_rows": min(len(data["rows"]), TOP_BARS if compact else 60), "dist": None, "band_counts": []}
    if compact:
        known = {b["code"] for b in bands}  # a band the engine gave but the settings do not list keeps its own label
        bands = bands + [{"code": code, "label": band_label(code, locale), "min_total": -1.0}
                         for code in sorted({r["band"] for r in scored if r["band"] and r["band"] not in known})]
        figs["dist"] = charts.score_bands(scored, bands, score_label=_("Điểm"), count_label=_("Số đơn vị"),
                                          other_label=_("Chưa xếp loại"), separators=separators(locale))
        counts: dict[str, int] = {}
        for r in data["rows"]:
            key = NOT_SUBMITTED if r.get("status") == NOT_SUBMITTED else (r["band"] or "")
            counts[key] = counts.get(key, 0) + 1
        labels = [(b["code"], b["label"]) for b in sorted(bands, key=lambda b: -b["min_total"])]
        labels += [("", _("Chưa xếp loại")), (NOT_SUBMITTED, _("Chưa nộp"))]
        figs["band_counts"] = [{"code": code, "label": label, "count": counts[code]} for code, label in labels
                               if counts.get(code)]
    return figs


def build_board_page(directory: dict, camp: dict, level: str, cluster: str | None, locale: str,
                     page: int = 1, query: str = "", figures: dict | None = None) -> dict:
    """One page of a board (PAGE_SIZE rows), optionally only the units whose name or code matches
    ``query`` (diacritics and case ignored). ``figures``: the charts of page 1, reused as they are."""
    data = board(camp, level, cluster)
    rows = matching(data["rows"], query)
    pages = page_count(len(rows))
    page = min(max(1, page), pages)
    with force_locale(locale):
        figs = figures or _board_figures(data, locale)
        groups = [{"code": g["code"], "name": loc_name(g, locale)} for g in data["groups"]]
        title = _("Bảng xếp hạng") + " · " + loc_name(camp, locale)
        page_rows = rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    out = _render("public/_board.html", locale, title_text=title, data=data, camp=camp, directory=directory,
                  groups=groups, bands=_bands(data["bands"], locale), fig=figs["fig"], fig_dist=figs["dist"],
                  band_counts=figs["band_counts"], chart_rows=figs["chart_rows"], rows=page_rows,
                  pager=pager(page, pages, len(rows)), query=query, page_size=PAGE_SIZE,
                  level_counts={lv: level_meta(camp, lv)["count"] for lv in lb.LEVELS})
    if page == 1 and not query:
        out["figures"] = figs  # the other pages and the searches of this board reuse them
    return out


def build_unit_page(camp: dict, code: str, locale: str) -> dict | None:
    data = lb.unit_data(camp, code, run_rows(camp))
    if data is None:
        return None
    me = data["unit"]
    for h in data["history"]:  # the history table's tie badge: the current publication's as the header has it
        # (a past publication's needs UnitResult.tied in leaderboard's history statement; no extra statement here)
        h.setdefault("tied", bool(me["tied"]) if h["run_id"] == data["run"]["id"] else False)
    with force_locale(locale):
        groups = [{"code": g["code"], "name": loc_name(g, locale)} for g in data["groups"]]
        # what the interval is, in the explanation page's own words (one message)
        interval_note = explain_words.interval_note(me) if data["show_intervals"] else ""
        series = [{"name": loc_name(me, locale), "values": me["group_scores"]},
                  {"name": _("Trung bình thành phố"), "values": data["city_avg"]}]
        if data["cluster_best"]:
            series.append({"name": _("Cao nhất cụm") + " (" + loc_name(data["cluster_best"], locale) + ")",
                           "values": data["cluster_best"]["group_scores"]})
        fig_groups = charts.unit_groups(groups, series, score_label=_("Điểm"), separators=separators(locale))
        points = [{"label": stored_label(h["label"]) or formats.day(lb.published_at(h), locale),
                   "total": h["total"], "rank": h["rank"]} for h in data["history"]
                  if h.get("status") != NOT_SUBMITTED]  # not scored: no point on the chart
        fig_history = charts.history(points, score_label=_("Điểm"), rank_label=_("Hạng"),
                                     separators=separators(locale))
        title = loc_name(me, locale) + " · " + loc_name(camp, locale)
    return _render("public/_unit.html", locale, title_text=title, data=data, camp=camp, groups=groups,
                   series=series, fig_groups=fig_groups, fig_history=fig_history, history_points=points,
                   bands=_bands(data["bands"], locale), interval_note=interval_note)


def build_overview_page(camp: dict, locale: str) -> dict:
    data = lb.overview_data(camp, run_rows(camp))
    with force_locale(locale):
        sep = separators(locale)
        bands = _bands(data["bands"], locale)
        # Units that did not submit have no score: listed last as "Chưa nộp", never charted as 0.
        districts = sorted((r for r in data["rows"] if r["level"] == 2),
                           key=lambda r: (r["overall_rank"] is None, r["overall_rank"] or 0))
        communes = [r for r in data["rows"] if r["level"] == 3]
        scored = [r for r in districts if r.get("status") != NOT_SUBMITTED]
        series = [s for s in ({"name": _("Cấp huyện"), "totals": [r["total"] for r in scored]},
                              {"name": _("Cấp xã"), "totals": [r["total"] for r in communes
                                                             if r.get("status") != NOT_SUBMITTED]}) if s["totals"]]
        # units per score bin stacked by band, in the badges' colours as the board's distribution
        fig_dist = charts.score_bands([r for r in data["rows"] if r.get("status") != NOT_SUBMITTED and r["total"] is not None],
                                      bands, score_label=_("Điểm"), count_label=_("Số đơn vị"),
                                      other_label=_("Chưa xếp loại"), separators=sep)
        cluster_names, counts = [], {}
        for r in data["rows"]:
            cname = (r["cluster_name_en"] if locale == "en" and r["cluster_name_en"] else r["cluster_name"]) or _("Chưa xếp cụm")
            if cname not in cluster_names:
                cluster_names.append(cname)
            key = f"{cname}\x1f{NOT_SUBMITTED if r.get('status') == NOT_SUBMITTED else r['band'] or ''}"
            counts[key] = counts.get(key, 0) + 1
        band_list = bands + ([{"code": "", "label": _("Chưa xếp loại"), "min_total": 0}]
                             if any(not r["band"] and r.get("status") != NOT_SUBMITTED for r in data["rows"]) else []) \
            + ([{"code": NOT_SUBMITTED, "label": _("Chưa nộp"), "min_total": 0}]
               if any(r.get("status") == NOT_SUBMITTED for r in data["rows"]) else [])
        fig_bands = charts.bands_per_cluster(cluster_names, band_list, counts, count_label=_("Số đơn vị"))
        points = []
        for r in scored:
            where = centroid(r["code"], r["lat"], r["lon"])
            if where:
                points.append({"code": r["code"], "name": loc_name(r, locale), "lat": where[0], "lon": where[1],
                               "total": r["total"]})
        geojson = data["geojson"]
        if geojson and geojson.get("features"):
            feats = [{"code": f["properties"]["code"], "rings": polygons(f)} for f in geojson["features"]]
            fig_map = charts.choropleth(feats, {r["code"]: r["total"] for r in scored},
                                        {r["code"]: loc_name(r, locale) for r in districts},
                                        score_label=_("Điểm"), no_data_label=_("Không có số liệu"), separators=sep)
            map_kind = "choropleth"
        else:
            fig_map = charts.centroid_map(points, score_label=_("Điểm"), separators=sep,
                                          inset_label=_("Khu trung tâm, phóng to"))
            map_kind = "centroids"
        title = _("Tổng quan") + " · " + loc_name(camp, locale)
    return _render("public/_overview.html", locale, title_text=title, data=data, camp=camp, bands=bands,
                   band_list=band_list, districts=districts, communes=communes, cluster_names=cluster_names,
                   counts=counts, count_of=lambda c, b: counts.get(f"{c}\x1f{b}", 0), fig_dist=fig_dist,
                   fig_bands=fig_bands, fig_map=fig_map, map_kind=map_kind, map_points=points, series=series)


def build_empty_page(locale: str) -> dict:
    with force_locale(locale):
        return _render("public/_empty.html", locale, title_text=_("Bảng xếp hạng"))


# ---------------------------------------------------------------- cached getters (request path)
def get_board_page(directory: dict, camp: dict, level: str, cluster: str | None, locale: str,
                   page: int = 1, query: str = "") -> dict:
    """A page of a board, cached per page, cluster and language (a new snapshot or generation = new keys).

    A search (``query``) is kept only in this process's small search cache: free text must never
    fill the shared cache. Other pages and searches reuse page 1's figures instead of rebuilding them.
    """
    if query:
        key, name = snapshot_key(camp), f"html:board:{level}:{cluster or ''}:{locale}"
        return cache.search_payload(key, f"{name}:{page}:{query}", lambda: build_board_page(
            directory, camp, level, cluster, locale, page, query, _first(directory, camp, level, cluster, locale)))
    key, name, page = board_page_ref(camp, level, cluster, locale, page)
    if page == 1:
        return cache.payload(key, name, lambda: build_board_page(directory, camp, level, cluster, locale))
    return cache.payload(key, name, lambda: build_board_page(
        directory, camp, level, cluster, locale, page, figures=_first(directory, camp, level, cluster, locale)))


def board_page_ref(camp: dict, level: str, cluster: str | None, locale: str, page: int) -> tuple[str, str, int]:
    """Where get_board_page caches a page (no search): (snapshot key, payload name, the page number shown)."""
    n_rows = level_meta(camp, level)["clusters"].get(cluster, 0) if cluster else level_meta(camp, level)["count"]
    page = min(max(1, page), page_count(n_rows))
    name = f"html:board:{level}:{cluster or ''}:{locale}"
    return snapshot_key(camp), (name if page == 1 else f"{name}:{page}"), page


def _first(directory: dict, camp: dict, level: str, cluster: str | None, locale: str) -> dict:
    return get_board_page(directory, camp, level, cluster, locale).get("figures")


def get_unit_page(camp: dict, code: str, locale: str) -> dict | None:
    page = cache.payload(snapshot_key(camp), f"html:unit:{code}:{locale}",
                         lambda: build_unit_page(camp, code, locale) or {"missing": True})
    return None if page.get("missing") else page


def unit_exists(camp: dict, code: str) -> bool:
    return any(r["code"] == code for r in run_rows(camp))


def get_overview_page(camp: dict, locale: str) -> dict:
    return cache.payload(snapshot_key(camp), f"html:overview:{locale}", lambda: build_overview_page(camp, locale))


def api_body(camp: dict, data: dict) -> dict:
    run = data["run"]
    return {"campaign": {"id": camp["id"], "slug": camp["slug"], "name": camp["name"], "name_en": camp["name_en"]},
            "snapshot_id": run["id"], "kind": run["kind"], "published_at": run["published_at"] + "Z",
            "level": data["level"], "cluster": data["cluster"],
            "groups": [{"code": g["code"], "name": g["name"], "name_en": g["name_en"]} for g in data["groups"]],
            "rows": [{**row, "status": r.get("status") or "ranked",
                      "band_reason": band_reasons.structured(band_reasons.row_reason(r, data["bands"], data["groups"]))}
                     for row, r in zip(lb.api_rows(data), data["rows"], strict=True)]}


def api_rows(camp: dict, level: str, cluster: str | None) -> dict:
    """Every row of a board as the API gives it (the body of all pages but its paging), kept per snapshot."""
    return cache.payload(snapshot_key(camp), f"api:rows:{level}:{cluster or ''}",
                         lambda: api_body(camp, board(camp, level, cluster)), kept=True)


def api_page_body(camp: dict, level: str, cluster: str | None, page: int, per_page: int, query: str = "",
                  locale: str = "vi") -> dict:
    """One page of the API's board: the old body (rows cut to the page) plus ``paging`` with links.

    ``query``: only the units the HTML board's search finds (:func:`matching`); each row's ``band_label``
    is the band's name in ``locale``, as the HTML board shows it.
    """
    full = api_rows(camp, level, cluster)
    rows = full["rows"]
    data = board(camp, level, cluster)
    if query:
        found = {r["code"] for r in matching(data["rows"], query)}
        rows = [r for r in rows if r["unit_code"] in found]
    total = len(rows)
    pages = page_count(total, per_page)

    def link(n: int | None) -> str | None:
        if n is None:
            return None
        return url_for("api.leaderboard", ref=camp["slug"], level=level, cluster=cluster or None,
                       page=n, per_page=per_page if per_page != API_PER_PAGE else None, q=query or None,
                       lang=locale if locale != "vi" else None)

    shown = rows[(page - 1) * per_page:page * per_page]
    with force_locale(locale):
        labels = {code: band_label(code, locale, data["bands"]) for code in {r["band"] for r in shown if r["band"]}}
        unsubmitted = _("Chưa nộp")
    return {**{k: v for k, v in full.items() if k != "rows"},
            "rows": [{**r, "band_label": unsubmitted if r["status"] == NOT_SUBMITTED else labels.get(r["band"])}
                     for r in shown],
            "paging": {"page": page, "per_page": per_page, "pages": pages, "total": total,
                       "first": link(1), "last": link(pages), "previous": link(page - 1 if page > 1 else None),
                       "next": link(page + 1 if page < pages else None)}}


def get_api_leaderboard(camp: dict, level: str, cluster: str | None, page: int = 1,
                        per_page: int = API_PER_PAGE, locale: str = "vi") -> str | None:
    """The JSON body of one page of a board (None: the page is past the last one).

    The default page size is cached like the pages (Redis and every worker); other sizes and searches only
    in this process's bounded search cache, so odd ``per_page`` values or free text cannot fill the shared cache.
    """
    found = get_api_page(camp, level, cluster, page, per_page, locale=locale)
    return None if found is None else found["body"]


def api_page_ref(camp: dict, level: str, cluster: str | None, page: int, per_page: int,
                 locale: str = "vi") -> tuple[str, str] | None:
    """Where get_api_page caches a page (no search): (snapshot key, payload name); None when the page is past the last."""
    meta = level_meta(camp, level)
    n_rows = meta["clusters"].get(cluster, 0) if cluster else meta["count"]
    if page > page_count(n_rows, per_page):
        return None
    return snapshot_key(camp), f"api:board:{level}:{cluster or ''}:{locale}:{page}:{per_page}"


def get_api_page(camp: dict, level: str, cluster: str | None, page: int = 1, per_page: int = API_PER_PAGE,
                 query: str = "", locale: str = "vi") -> dict | None:
    """The cached payload ``{"body": JSON text}`` of one page of a board (None: past the last page).

    A search's first page always exists (it may hold no row), as on the HTML board.
    """
    def build() -> dict:
        body = api_page_body(camp, level, cluster, page, per_page, query, locale)
        return {"body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                "past": page > body["paging"]["pages"]}

    if query:
        found = cache.search_payload(snapshot_key(camp), f"api:search:{level}:{cluster or ''}:{locale}:{page}:"
                                     f"{per_page}:{query}", build)
        return None if found["past"] else found
    ref = api_page_ref(camp, level, cluster, page, per_page, locale)
    if ref is None:
        return None
    if per_page == API_PER_PAGE:
        return cache.payload(*ref, build)
    return cache.search_payload(*ref, build)


def campaigns_body(directory: dict) -> dict:
    return {"campaigns": [
        {"id": c["id"], "slug": c["slug"], "name": c["name"], "name_en": c["name_en"], "year": c["year"],
         "snapshot_id": c["runs"][0]["id"], "published_at": c["runs"][0]["published_at"] + "Z",
         "snapshots": [{"id": r["id"], "kind": r["kind"], "published_at": r["published_at"] + "Z"} for r in c["runs"]]}
        for c in directory["campaigns"]]}


# ---------------------------------------------------------------- exports
def export_table(camp: dict, data: dict, locale: str) -> tuple[list[str], list[list]]:
    with force_locale(locale):
        groups = data["groups"]
        # Score columns stay numbers (one machine form in the CSV: 928.85); the reason and the "as shown"
        # score are text in the reader's form (928,85 in Vietnamese), as on the page.
        header = [_("Hạng"), _("Đồng hạng"), _("Mã đơn vị"), _("Đơn vị"), _("Cụm"), _("Điểm"), _("Xếp loại"),
                  _("Lý do xếp loại"), _("Thay đổi hạng"), _("Điểm (như trên trang)")] + [loc_name(g, locale) for g in groups]
        if data["show_intervals"]:
            header += [_("Khoảng điểm (thấp)"), _("Khoảng điểm (cao)")]
        rows = []
        for r in data["rows"]:
            line = [r["rank"], _("có") if r["tied"] else "", r["code"], loc_name(r, locale),
                    (r["cluster_name_en"] if locale == "en" and r["cluster_name_en"] else r["cluster_name"]) or "",
                    r["total"], band_label(r["band"], locale, data["bands"]) if r["band"] else "",  # the page's label
                    " · ".join(band_reasons.describe(band_reasons.row_reason(r, data["bands"], data["groups"]),
                                                     data["bands"], data["groups"], locale)),
                    "" if r["change"] is None else r["change"], formats.number(r["total"], locale)]
            line += [r["group_scores"].get(g["code"]) for g in groups]
            if data["show_intervals"]:
                line += [r["interval_low"], r["interval_high"]]
            rows.append(line)
    return header, rows


def build_csv(camp: dict, data: dict, locale: str) -> str:
    header, rows = export_table(camp, data, locale)
    return csv_text(header, rows)  # formula-safe, with a BOM (campaign.safe_export)


def build_xlsx(camp: dict, data: dict, locale: str) -> bytes:
    header, rows = export_table(camp, data, locale)
    return xlsx_bytes("Leaderboard" if locale == "en" else "Xep hang", header, rows)


def get_export(camp: dict, level: str, cluster: str | None, locale: str, fmt: str) -> bytes:

    def build():
        data = board(camp, level, cluster)
        if fmt == "csv":
            return {"b64": base64.b64encode(build_csv(camp, data, locale).encode("utf-8")).decode()}
        return {"b64": base64.b64encode(build_xlsx(camp, data, locale)).decode()}

    return base64.b64decode(cache.payload(snapshot_key(camp), f"export:{fmt}:{level}:{cluster or ''}:{locale}", build)["b64"])


def warm_all(camp: dict) -> Iterator[str]:
    """Build the payloads a publish makes hot (both locales, both levels, every cluster).

    Registered with the cache service below, which calls it after a publish (in the worker):
    templates and translations need a request context, so it makes one.
    """
    with current_app.test_request_context("/"):
        directory = cache.directory()
        for level in lb.LEVELS:
            data = board_all(camp, level)
            yield f"data:{level}"
            if not data["rows"]:
                continue
            for cluster in [None] + [c["code"] for c in data["clusters"]]:
                get_api_leaderboard(camp, level, cluster)
                for locale in LOCALES:
                    get_board_page(directory, camp, level, cluster, locale)
                yield f"board:{level}:{cluster or ''}"
        for locale in LOCALES:
            get_overview_page(camp, locale)
        yield "overview"


cache.register_warmer(warm_all)
