/* Public leaderboard: draw the cached Plotly figures and auto-submit the filters.
   Figures arrive as JSON in <script type="application/json"> (CSP: no inline code). */
(function () {
  "use strict";
  function merge(into, from) {
    for (var key in from) {
      var v = from[key];
      if (v && typeof v === "object" && !Array.isArray(v) && into[key] && typeof into[key] === "object") {
        merge(into[key], v);
      } else { into[key] = v; }
    }
  }
  function draw() {
    var nodes = document.querySelectorAll(".js-plotly[data-figure]");
    if (!window.Plotly) { return; }
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { continue; }
      try {
        var fig = JSON.parse(src.textContent);
        // a figure may carry a layout for wide screens (the map's enlargement beside it, not under it)
        if (fig.wide && el.clientWidth >= 700) { merge(fig.layout, fig.wide); }
        // fig.config comes from campaign/charts.py (CONFIG): the one place the chart options live
        window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, fig.config || {}).then(watch);
      } catch (e) {
        el.setAttribute("data-error", String(e));
      }
    }
  }
  /* Point labels (the map's district names) never overlap another label, another text of the chart or
     a dot: in trace order (best score first) a label takes the first free place among above, right,
     left and below its dot, inside the chart; with none free it is hidden (its name stays in the hover
     text and the table under the chart). Redone after each redraw (a phone turned sideways, a resize). */
  function overlaps(a, b) {
    return Math.min(a.right, b.right) - Math.max(a.left, b.left) > -1 &&
           Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > -1;
  }
  function moved(r, dx, dy) {
    return {left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy};
  }
  function declutter(el) {
    var labels = el.querySelectorAll(".scatterlayer .textpoint text");
    if (!labels.length) { return; }
    var svg = el.querySelector("svg.main-svg");
    var box = svg.getBoundingClientRect();
    var kept = [], spots = [], own, i, j, k, t, r, m, ok, places, cy, gap = 2, all = el.querySelectorAll("svg text");
    var dots = el.querySelectorAll(".scatterlayer path.point");
    for (i = 0; i < labels.length; i++) { labels[i].style.display = ""; labels[i].removeAttribute("transform"); }
    for (i = 0; i < all.length; i++) {
      t = all[i];
      if (!t.closest(".textpoint") && t.textContent.trim()) { kept.push(t.getBoundingClientRect()); }
    }
    for (i = 0; i < dots.length; i++) { spots.push(dots[i].getBoundingClientRect()); }
    for (i = 0; i < labels.length; i++) {
      r = labels[i].getBoundingClientRect();
      m = null;  // the label's own dot: the same data point as its text
      for (j = 0; j < dots.length && !m; j++) {
        if (dots[j].__data__ === labels[i].parentNode.__data__) { m = spots[j]; own = j; }
      }
      places = [[0, 0]];
      if (m) {
        cy = (m.top + m.bottom) / 2 - (r.top + r.bottom) / 2;
        places.push([m.right + gap - r.left, cy], [m.left - gap - r.right, cy], [0, m.bottom + gap - r.top]);
      }
      ok = false;
      for (k = 0; k < places.length && !ok; k++) {
        var c = moved(r, places[k][0], places[k][1]);
        ok = c.left >= box.left && c.right <= box.right && c.top >= box.top && c.bottom <= box.bottom;
        for (j = 0; ok && j < kept.length; j++) { if (overlaps(c, kept[j])) { ok = false; } }
        for (j = 0; ok && j < spots.length; j++) { if (!(m && j === own) && overlaps(c, spots[j])) { ok = false; } }
        if (ok) {
          kept.push(c);
          if (k) { labels[i].setAttribute("transform", "translate(" + places[k][0] + "," + places[k][1] + ")"); }
        }
      }
      if (!ok) { labels[i].style.display = "none"; }
    }
  }
  function watch(el) {
    declutter(el);
    if (el.on) { el.on("plotly_afterplot", function () { declutter(el); }); }
  }
  function autosubmit() {
    var selects = document.querySelectorAll("select.js-autosubmit");
    for (var i = 0; i < selects.length; i++) {
      selects[i].addEventListener("change", function (ev) {
        var form = ev.target.form;
        if (ev.target.name === "campaign" || ev.target.name === "level") {
          var cluster = form.querySelector("select[name=cluster]");
          if (cluster) { cluster.value = ""; }
        }
        if (ev.target.name === "campaign") {
          // another campaign opens at its own level: the previous campaign's is not sent
          var level = form.querySelector("select[name=level]");
          if (level) { level.disabled = true; }
        }
        form.submit();
      });
    }
  }
  function start() { draw(); autosubmit(); }
  // back to a page left by a campaign switch (back/forward cache): its level choice works again
  window.addEventListener("pageshow", function () {
    var level = document.querySelector("select.js-autosubmit[name=level]");
    if (level) { level.disabled = false; }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
