/* Public leaderboard: draw the cached Plotly figures and auto-submit the filters.
   Figures arrive as JSON in <script type="application/json"> (CSP: no inline code). */
(function () {
  "use strict";
  function draw() {
    var nodes = document.querySelectorAll(".js-plotly[data-figure]");
    if (!window.Plotly) { return; }
    for (var i = 0; i < nodes.length; i++) {
      var el = nodes[i];
      var src = document.getElementById(el.getAttribute("data-figure"));
      if (!src) { continue; }
      try {
        var fig = JSON.parse(src.textContent);
        // fig.config comes from campaign/charts.py (CONFIG): the one place the chart options live
        window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, fig.config || {});
      } catch (e) {
        el.setAttribute("data-error", String(e));
      }
    }
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
