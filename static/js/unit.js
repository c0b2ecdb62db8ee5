// Live self-score preview for the evidence form: posts the draft (no files) to the
// preview endpoint, which runs the same scoring engine as the official results.
// File inputs: the browser's own button speaks the browser's language ("Choose Files"), not the
// page's; with scripts on, a label in the page's language replaces it and lists the chosen files.
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-picker]"), function (input) {
    var box = input.parentNode;
    var button = box.querySelector("[data-picker-button]");
    var names = box.querySelector("[data-picker-names]");
    if (!button || !names) { return; }
    function show() {
      var list = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      names.textContent = list.length ? list.join(", ") : names.dataset.none;
    }
    input.classList.add("file-native");
    button.hidden = false;
    names.hidden = false;
    input.addEventListener("change", show);
    show();
  });
})();

(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form || !form.dataset.previewUrl) { return; }
  var lang = document.documentElement.lang || "vi";
  var timer = null;
  var fmt = function (x) {
    return Number(x).toLocaleString(lang === "en" ? "en-US" : "vi-VN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  };
  function payload() {
    var data = new FormData();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "file" || el.type === "submit") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      data.append(el.name, el.value);
    });
    return data;
  }
  function show(result) {
    var total = document.querySelector("[data-total]");
    if (total) { total.textContent = fmt(result.total); }
    Object.keys(result.indicators).forEach(function (code) {
      var item = result.indicators[code];
      var pts = form.querySelector('[data-pts="' + CSS.escape(code) + '"]');
      // a value with an error earns nothing until corrected (its message says why)
      if (pts) { pts.textContent = item.counted === false ? "–" : fmt(item.points); }
      // a computed indicator's value follows its operands
      var computed = form.querySelector('[data-computed="' + CSS.escape(code) + '"]');
      if (computed && "computed" in item) { computed.textContent = item.computed === null ? "–" : fmt(item.computed); }
      var box = form.querySelector('[data-errors="' + CSS.escape(code) + '"]');
      if (box) {
        box.textContent = "";
        item.errors.forEach(function (msg) {
          var div = document.createElement("div");
          div.textContent = msg;
          box.appendChild(div);
        });
      }
      // a wrong value stays marked until corrected (the card and the field)
      var card = document.getElementById("ind-" + code);
      if (card) {
        var bad = item.errors.length > 0;
        card.classList.toggle("invalid", bad);
        var field = card.querySelector('[name="v-' + CSS.escape(code) + '"]');
        if (field) { field.classList.toggle("invalid", bad); field.setAttribute("aria-invalid", bad ? "true" : "false"); }
      }
    });
    showCompleteness(result.completeness);
    Object.keys(result.groups).forEach(function (code) {
      var g = form.querySelector('[data-gpts="' + CSS.escape(code) + '"]');
      if (g) { g.textContent = fmt(result.groups[code].points); }
    });
  }
  // The counter counts what the server counts: a value with an error is not "filled".
  function showCompleteness(c) {
    if (!c) { return; }
    var whole = function (x) { return Number(x).toLocaleString(lang === "en" ? "en-US" : "vi-VN"); };
    var pct = document.querySelector("[data-complete-pct]");
    if (pct) { pct.textContent = whole(c.pct) + (lang === "en" ? "%" : " %"); }
    var count = document.querySelector("[data-complete-count]");
    if (count) { count.textContent = whole(c.filled) + "/" + whole(c.total); }
    var invalid = document.querySelector("[data-complete-invalid]");
    if (invalid) {
      invalid.textContent = (invalid.dataset.template || "{n}").replace("{n}", whole(c.invalid));
      invalid.hidden = !c.invalid;
    }
  }
  function refresh() {
    fetch(form.dataset.previewUrl, { method: "POST", body: payload(), credentials: "same-origin",
                                     headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (json) { if (json) { show(json); } })
      .catch(function () { /* preview is a convenience; saving still works */ });
  }
  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 350);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  // Warn before leaving with unsaved changes.
  var dirty = false;
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
})();
