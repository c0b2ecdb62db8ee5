// The commission's large values import: poll the worker's progress, then show the report page.
(function () {
  "use strict";
  var cfg = document.getElementById("import-status");
  if (!cfg) { return; }
  var data = JSON.parse(cfg.textContent);
  var lang = document.documentElement.lang || "vi";
  var bar = document.querySelector("[data-testid=import-bar]");
  var phase = document.querySelector("[data-testid=import-phase]");
  var counts = document.querySelector("[data-testid=import-counts]");
  function fmt(n) { return Number(n || 0).toLocaleString(lang); }
  function poll() {
    fetch(data.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status !== "queued" && s.status !== "running") { window.location.replace(data.page); return; }
        bar.setAttribute("aria-valuenow", s.percent);
        bar.firstElementChild.style.width = s.percent + "%";
        phase.textContent = data.phases[s.phase] || phase.textContent;
        counts.textContent = data.counts.replace("{r}", fmt(s.read)).replace("{s}", fmt(s.saved))
          .replace("{t}", fmt(s.total));
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
