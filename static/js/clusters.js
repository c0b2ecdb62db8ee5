// The cluster form's member list: a filter box (accents optional: "ba dinh" finds "Ba Đình")
// and a live count of the units chosen. Without scripts the list and the server's count stay.
(function () {
  "use strict";
  var box = document.querySelector("[data-member-filter]");
  var list = document.querySelector("[data-testid=members]");
  var count = document.querySelector("[data-member-count]");
  if (!box || !list || !count) { return; }
  var fold = function (s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase().trim();
  };
  var items = Array.prototype.map.call(list.querySelectorAll("li"), function (li) {
    return {li: li, text: fold(li.textContent), box: li.querySelector("input[type=checkbox]")};
  });
  var none = list.parentNode.querySelector("[data-member-none]");
  function filter() {
    var q = fold(box.value);
    var shown = 0;
    items.forEach(function (it) {
      var hit = !q || it.text.indexOf(q) !== -1;
      it.li.hidden = !hit;
      if (hit) { shown += 1; }
    });
    if (none) { none.hidden = shown !== 0; }
  }
  function recount() {
    var n = items.filter(function (it) { return it.box.checked; }).length;
    count.textContent = count.dataset.template.replace("{n}", n.toLocaleString(document.documentElement.lang || "vi"));
  }
  // The head and deputy must be members: only ticked units can be chosen (the one already chosen
  // stays choosable, so nothing changes behind the user's back; the server still checks).
  var leaders = Array.prototype.slice.call(document.querySelectorAll("select[data-member-choice]"));
  function limitLeaders() {
    var ticked = {};
    items.forEach(function (it) { if (it.box.checked) { ticked[it.box.value] = true; } });
    leaders.forEach(function (select) {
      Array.prototype.forEach.call(select.options, function (opt) {
        opt.disabled = opt.value !== "" && !ticked[opt.value] && !opt.selected;
      });
    });
  }
  box.hidden = false;
  box.parentNode.hidden = false;
  box.addEventListener("input", filter);
  list.addEventListener("change", function () { recount(); limitLeaders(); });
  leaders.forEach(function (select) { select.addEventListener("change", limitLeaders); });
  recount();
  limitLeaders();
})();
