// Results admin page: poll the small status endpoint and show recompute progress / freshness.
(function () {
  "use strict";
  var el = document.getElementById("results-status");
  if (!el) { return; }
  var cfg = JSON.parse(el.textContent);
  var box = document.querySelector("[data-testid=progress-box]");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var wasStale = cfg.status.stale;
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  // the pages' one form of a percentage: "45 %" in Vietnamese (never split over two lines), "45%" in English
  function percent(n) {
    return n.toLocaleString(lang === "en" ? "en-US" : "vi-VN") + (lang === "en" ? "%" : "\u00a0%");
  }
  function show(s) {
    if (s.running) {
      box.hidden = false;
      var pct = Math.round((s.running.progress || 0) * 100);
      var phase = (cfg.phases || {})[s.running.phase];  // an unknown step is left unsaid, never shown as a code
      bar.style.width = pct + "%";
      box.querySelector("[role=progressbar]").setAttribute("aria-valuenow", pct);
      text.textContent = percent(pct) + (phase ? " (" + phase + ")" : "");
    } else {
      box.hidden = true;
    }
    if (wasStale && !s.stale) { window.location.reload(); }
  }
  function poll() {
    fetch(cfg.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
      .then(function (s) { show(s); setTimeout(poll, s.running || s.stale ? 1000 : 5000); })
      .catch(function () { setTimeout(poll, 5000); });
  }
  show(cfg.status);
  setTimeout(poll, 1000);
}());
