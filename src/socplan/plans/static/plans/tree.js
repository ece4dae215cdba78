// Keyboard and mouse editing of a plan's tree. Rows are treeitems; one set of action buttons
// (#row-actions) is moved into the chosen row, and its addresses, written with "0" for the
// element, get the row's id when htmx sends them. Keys only choose a row and press its buttons.
(function () {
  "use strict";

  function tree() { return document.getElementById("tree"); }
  function rows() { return Array.from(document.querySelectorAll("#tree [role=treeitem]")); }
  function actions() { return document.getElementById("row-actions"); }

  function select(row, focus) {
    if (!row) return;
    rows().forEach(function (r) { r.tabIndex = -1; r.removeAttribute("aria-selected"); });
    row.tabIndex = 0;
    row.setAttribute("aria-selected", "true");
    var bar = actions();
    if (bar) {
      row.appendChild(bar);
      bar.hidden = false;
      bar.dataset.node = row.dataset.id;
      var child = bar.querySelector('[data-act="add-child"]');
      if (child) child.hidden = row.classList.contains("level-activity");
    }
    if (focus !== false) row.focus();
  }

  function openPanel(row) {
    var url = tree().dataset.editUrl.replace(/\/tree\/0\//, "/tree/" + row.dataset.id + "/");
    htmx.ajax("GET", url, { target: "#node-panel", swap: "innerHTML" });
  }

  function press(row, action) {
    select(row);
    var button = actions() && actions().querySelector('[data-act="' + action + '"]');
    if (button && !button.hidden) button.click();
  }

  // The addresses of the moved buttons name the chosen element.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var bar = event.detail.elt.closest && event.detail.elt.closest("#row-actions");
    if (!bar) return;
    var id = bar.dataset.node;
    event.detail.path = event.detail.path
      .replace(/\/tree\/0\//, "/tree/" + id + "/")
      .replace(/([?&])(after|parent)=0(&|$)/, "$1$2=" + id + "$3");
  });

  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("#tree [role=treeitem]");
    if (row && !event.target.closest("#row-actions")) {
      select(row);
      openPanel(row);
    }
    if (event.target.matches("[data-cancel]")) closePanel();
  });

  document.addEventListener("keydown", function (event) {
    var row = event.target.closest && event.target.closest("#tree [role=treeitem]");
    if (!row || event.target !== row) return;
    var list = rows();
    var index = list.indexOf(row);
    var key = event.key;
    var handled = true;
    if (key === "ArrowDown" && !event.altKey) select(list[index + 1]);
    else if (key === "ArrowUp" && !event.altKey) select(list[index - 1]);
    else if (key === "Home") select(list[0]);
    else if (key === "End") select(list[list.length - 1]);
    else if (key === "ArrowUp" && event.altKey) press(row, "up");
    else if (key === "ArrowDown" && event.altKey) press(row, "down");
    else if (key === "Tab") press(row, event.shiftKey ? "outdent" : "indent");
    else if (key === "Enter" && (event.ctrlKey || event.metaKey)) press(row, "add-child");
    else if (key === "Enter" || key === "F2") openPanel(row);
    else if (key === "Insert" || key === "n" || key === "N") press(row, "add-sibling");
    else if (key === "c" || key === "C") press(row, "add-child");
    else if (key === "Delete") press(row, "delete");
    else handled = false;
    if (handled) event.preventDefault();
  });

  // Escape in the side panel returns to the tree.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest("#node-panel")) closePanel();
  });

  function closePanel() {
    document.getElementById("node-panel").innerHTML = "";
    var selected = document.querySelector("#tree [role=treeitem][aria-selected=true]");
    select(selected || rows()[0]);
  }

  // After the tree is replaced, the element just changed is chosen again.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "tree" || !document.body.contains(target)) {
      var current = tree();
      var id = current && current.dataset.focus;
      var row = id && document.getElementById(id);
      if (row) {
        select(row);
        row.scrollIntoView({ block: "nearest" });
      }
    }
    if (target.id === "node-panel") {
      var first = target.querySelector("textarea, input:not([type=hidden]), select");
      if (first) first.focus();
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
