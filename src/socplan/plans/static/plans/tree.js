// Keyboard editing of a plan's tree. The rows are treeitems; each action is a button in the row
// (htmx does the request), so the keys only choose the row and press its button.
(function () {
  "use strict";

  function rows() { return Array.from(document.querySelectorAll("#tree [role=treeitem]")); }

  function focusRow(row) {
    if (!row) return;
    rows().forEach(function (r) { r.tabIndex = -1; });
    row.tabIndex = 0;
    row.focus();
  }

  function press(row, action) {
    var button = row.querySelector('[data-act="' + action + '"]');
    if (button) { button.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    var row = event.target.closest && event.target.closest("#tree [role=treeitem]");
    if (!row || event.target !== row) return;
    var list = rows();
    var index = list.indexOf(row);
    var key = event.key;
    var handled = true;
    if (key === "ArrowDown" && !event.altKey) focusRow(list[index + 1]);
    else if (key === "ArrowUp" && !event.altKey) focusRow(list[index - 1]);
    else if (key === "Home") focusRow(list[0]);
    else if (key === "End") focusRow(list[list.length - 1]);
    else if (key === "ArrowUp" && event.altKey) press(row, "up");
    else if (key === "ArrowDown" && event.altKey) press(row, "down");
    else if (key === "Tab") press(row, event.shiftKey ? "outdent" : "indent");
    else if (key === "Enter" && (event.ctrlKey || event.metaKey)) press(row, "add-child");
    else if (key === "Enter" || key === "F2") htmx.trigger(row, "edit");
    else if (key === "Insert" || key === "n" || key === "N") press(row, "add-sibling");
    else if (key === "c" || key === "C") press(row, "add-child");
    else if (key === "Delete") press(row, "delete");
    else handled = false;
    if (handled) event.preventDefault();
  });

  // Escape or "Cancel" in the side panel returns to the tree.
  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-cancel]")) closePanel();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest("#node-panel")) closePanel();
  });

  function closePanel() {
    var panel = document.getElementById("node-panel");
    var selected = document.querySelector("#tree [role=treeitem][aria-selected=true]");
    panel.innerHTML = "";
    focusRow(selected || rows()[0]);
  }

  // After the tree is replaced, put the focus back on the element just changed.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var tree = document.getElementById("tree");
    if (!tree) return;
    if (event.detail.target.id === "tree" || event.detail.target === document.body) {
      var id = tree.dataset.focus;
      var row = id && document.getElementById(id);
      if (row) {
        row.setAttribute("aria-selected", "true");
        focusRow(row);
        row.scrollIntoView({ block: "nearest" });
      }
    }
    if (event.detail.target.id === "node-panel") {
      var first = event.detail.target.querySelector("textarea, input:not([type=hidden]), select");
      if (first) first.focus();
      var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
      var selectedRow = trigger && trigger.closest && trigger.closest("[role=treeitem]");
      if (selectedRow) {
        rows().forEach(function (r) { r.removeAttribute("aria-selected"); });
        selectedRow.setAttribute("aria-selected", "true");
      }
    }
  });

  // Ctrl+Enter in a panel form saves it.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest && event.target.closest("#node-panel form")) {
      event.preventDefault();
      htmx.trigger(event.target.closest("form"), "submit");
    }
  });
})();
