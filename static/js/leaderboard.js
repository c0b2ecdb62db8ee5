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
  /* Point labels (the map's district names) never overlap: in trace order (best score first) a label
     is kept only if it overlaps no kept label and no other text of the chart and stays inside it;
     the hidden ones remain in the hover text and the table under the chart. Redone after each
     redraw (a phone turned sideways, a resized window). */
  function overlaps(a, b) {
    return Math.min(a.right, b.right) - Math.max(a.left, b.left) > -1 &&
           Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > -1;
  }
  function declutter(el) {
    var labels = el.querySelectorAll(".scatterlayer .textpoint text");
    if (!labels.length) { return; }
    var svg = el.querySelector("svg.main-svg");
    var box = svg.getBoundingClientRect();
    var kept = [], i, j, t, r, ok, all = el.querySelectorAll("svg text");
    for (i = 0; i < all.length; i++) {
      t = all[i];
      if (!t.closest(".textpoint") && t.textContent.trim()) { kept.push(t.getBoundingClientRect()); }
    }
    for (i = 0; i < labels.length; i++) { labels[i].style.display = ""; }
    for (i = 0; i < labels.length; i++) {
      r = labels[i].getBoundingClientRect();
      ok = r.left >= box.left && r.right <= box.right && r.top >= box.top && r.bottom <= box.bottom;
      for (j = 0; ok && j < kept.length; j++) { if (overlaps(r, kept[j])) { ok = false; } }
      if (ok) { kept.push(r); } else { labels[i].style.display = "none"; }
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
        form.submit();
      });
    }
  }
  function start() { draw(); autosubmit(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
