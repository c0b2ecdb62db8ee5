// Judge scoring page: warn when points differ from the computed points without a comment.
(function () {
  "use strict";
  var form = document.getElementById("score-form");
  if (!form) { return; }
  function parse(v) { return parseFloat(String(v).replace(",", ".")); }
  function check(row) {
    var input = row.querySelector("input.points");
    var comment = row.querySelector("textarea");
    var computed = row.getAttribute("data-computed");
    if (!input || !comment || computed === "") { return; }
    var differs = input.value.trim() !== "" && parse(input.value) !== parse(computed);
    comment.required = differs && !input.disabled;
    comment.classList.toggle("invalid", differs && comment.value.trim() === "");
  }
  var rows = form.querySelectorAll("tr.indicator-row");
  Array.prototype.forEach.call(rows, function (row) {
    row.addEventListener("input", function () { check(row); });
    check(row);
  });
  form.addEventListener("submit", function (ev) {
    var draft = ev.submitter && ev.submitter.value === "save";
    Array.prototype.forEach.call(form.querySelectorAll("textarea"), function (t) { if (draft) { t.required = false; } });
  });
})();
