// Repeating tables of a report form: add and remove rows; warn before leaving with unsaved changes.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var dirty = false;
  function markDirty() {
    dirty = true;
    var note = document.getElementById("dirty-note");
    if (note) note.hidden = false;
  }
  form.addEventListener("input", markDirty);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) return;
    var block = button.closest(".report-table");
    if (button.classList.contains("add-row") && block) {
      var next = parseInt(button.dataset.next || "0", 10);
      var template = block.querySelector("template.row-template");
      var html = template.innerHTML.replace(/__i__/g, String(next));
      var body = block.querySelector("tbody");
      body.insertAdjacentHTML("beforeend", html);
      button.dataset.next = String(next + 1);
      var added = body.lastElementChild;
      var first = added && added.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
      markDirty();
    } else if (button.classList.contains("remove-row")) {
      var row = button.closest("tr");
      var table = row && row.closest(".report-table");
      if (!row) return;
      row.remove();
      var focusTarget = table && table.querySelector(".add-row");
      if (focusTarget) focusTarget.focus();
      markDirty();
    }
  });
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
