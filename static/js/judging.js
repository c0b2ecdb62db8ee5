// Judge scoring page. Nothing here blocks a save: a changed mark without a comment only shows
// a hint (the server says what a submit needs, next to the field). The page warns before
// leaving with unsaved changes, and after a refused save (what is shown is not stored yet).
(function () {
  "use strict";
  var form = document.getElementById("score-form");
  if (!form) { return; }
  function parse(v) { return parseFloat(String(v).replace(",", ".")); }
  function hint(row) {
    var input = row.querySelector("input.points");
    var comment = row.querySelector("textarea");
    var note = row.querySelector(".comment-hint");
    var computed = row.getAttribute("data-computed");
    if (!input || !comment || !note || computed === "") { return; }
    var differs = input.value.trim() !== "" && parse(input.value) !== parse(computed);
    note.hidden = !(differs && comment.value.trim() === "" && !input.disabled);
  }
  Array.prototype.forEach.call(form.querySelectorAll("tr.indicator-row"), function (row) {
    row.addEventListener("input", function () { hint(row); });
    hint(row);
  });
  var dirty = form.getAttribute("data-unsaved") === "1";
  form.addEventListener("input", function () { dirty = true; });
  form.addEventListener("change", function () { dirty = true; });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty) { e.preventDefault(); e.returnValue = ""; }
  });
})();
