// The form builder: sections, questions, repeating tables and rules edited as a form, kept as
// the template's JSON schema in a hidden field (checked again on the server when saved).
(function () {
  "use strict";
  var root = document.getElementById("builder");
  var field = document.getElementById("id_schema");
  if (!root || !field) return;
  var T = JSON.parse(document.getElementById("builder-text").textContent);
  var schema = JSON.parse(field.value || "{}");
  if (!schema.sections || !schema.sections.length) schema.sections = [{title: "", help: "", items: []}];
  schema.rules = schema.rules || [];
  var QUESTION_TYPES = ["integer", "number", "text", "longtext", "date", "choice", "yesno", "file"];
  var COLUMN_TYPES = ["integer", "number", "text", "longtext", "date", "choice", "yesno"];
  var QUESTION_PREFILLS = ["", "respondent.name", "municipality.name", "municipality.population", "round.period",
    "services.count", "services.capacity", "services.users", "previous"];
  var TABLE_PREFILLS = ["", "services", "indicators", "municipalities", "target_groups", "previous"];

  function keys() {
    var used = {};
    schema.sections.forEach(function (s) {
      (s.items || []).forEach(function (i) { used[i.key] = true; });
    });
    return used;
  }
  function newKey(prefix, used) {
    var n = 1;
    while (used[prefix + n]) n += 1;
    return prefix + n;
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), attrs[name]);
      else if (name === "checked" || name === "value") node[name] = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }
  var uid = 0;
  function input(label, value, onchange, options) {
    options = options || {};
    var id = "b" + (uid += 1);
    var control;
    if (options.choices) {
      control = el("select", {id: id, onchange: function () { onchange(control.value); }},
        options.choices.map(function (c) {
          return el("option", {value: c, text: (T.types[c] || T.prefills[c] || c || "—")});
        }));
      control.value = value || "";
    } else if (options.checkbox) {
      control = el("input", {type: "checkbox", id: id, checked: !!value, onchange: function () { onchange(control.checked); }});
      return el("label", {"for": id, "class": "builder-check"}, [control, document.createTextNode(" " + label)]);
    } else if (options.area) {
      control = el("textarea", {id: id, rows: options.rows || 2, oninput: function () { onchange(control.value); }});
      control.value = value || "";
    } else {
      control = el("input", {type: "text", id: id, value: value === undefined || value === null ? "" : String(value),
        size: options.size || 30, oninput: function () { onchange(control.value); }});
    }
    return el("div", {"class": "builder-field"}, [el("label", {"for": id, text: label}), control]);
  }
  function move(list, index, delta) {
    var target = index + delta;
    if (target < 0 || target >= list.length) return;
    var item = list.splice(index, 1)[0];
    list.splice(target, 0, item);
    render();
  }
  function tools(list, index, what) {
    return el("div", {"class": "builder-tools"}, [
      el("button", {type: "button", "class": "link-button", "aria-label": T.up + " " + what, text: "↑", onclick: function () { move(list, index, -1); }}),
      el("button", {type: "button", "class": "link-button", "aria-label": T.down + " " + what, text: "↓", onclick: function () { move(list, index, 1); }}),
      el("button", {type: "button", "class": "link-button danger", text: T.remove, onclick: function () {
        if (confirm(T.confirmRemove + " " + what + "?")) { list.splice(index, 1); render(); }
      }})
    ]);
  }
  function numberOrNull(value) {
    var text = String(value).trim().replace(",", ".");
    return text === "" ? null : Number(text);
  }
  function choicesField(item) {
    return input(T.choices, (item.choices || []).join("\n"), function (v) {
      item.choices = v.split("\n").map(function (c) { return c.trim(); }).filter(Boolean);
    }, {area: true, rows: 3});
  }
  function columnEditor(table, column, index) {
    var box = el("div", {"class": "builder-column"}, [
      input(T.label, column.label, function (v) { column.label = v; }),
      input(T.type, column.type, function (v) { column.type = v; render(); }, {choices: COLUMN_TYPES}),
      input(T.required, column.required, function (v) { column.required = v; }, {checkbox: true}),
      input(T.readonly, column.readonly, function (v) { column.readonly = v; }, {checkbox: true}),
      input(T.key, column.key, function (v) { column.key = v.trim(); }, {size: 12}),
      tools(table.columns, index, T.column)
    ]);
    if (column.type === "choice") box.appendChild(choicesField(column));
    if (column.type === "integer" || column.type === "number") {
      box.appendChild(input(T.min, column.min, function (v) { column.min = numberOrNull(v); }, {size: 6}));
      box.appendChild(input(T.max, column.max, function (v) { column.max = numberOrNull(v); }, {size: 6}));
    }
    return box;
  }
  function itemEditor(section, item, index) {
    var isTable = item.type === "table";
    var box = el("div", {"class": "builder-item" + (isTable ? " builder-table" : "")}, [
      el("p", {"class": "kicker", text: (isTable ? T.table : T.question) + " · " + item.key}),
      input(T.label, item.label, function (v) { item.label = v; }, {size: 60}),
      input(T.help, item.help, function (v) { item.help = v; }, {area: true})
    ]);
    if (isTable) {
      box.appendChild(input(T.prefill, item.prefill, function (v) { item.prefill = v || undefined; }, {choices: TABLE_PREFILLS}));
      box.appendChild(input(T.minRows, item.min_rows, function (v) { item.min_rows = numberOrNull(v) || 0; }, {size: 5}));
      var columns = el("div", {"class": "builder-columns"});
      (item.columns = item.columns || []).forEach(function (c, i) { columns.appendChild(columnEditor(item, c, i)); });
      box.appendChild(el("h4", {text: T.columns}));
      box.appendChild(columns);
      box.appendChild(el("button", {type: "button", "class": "button button-secondary button-small", text: T.addColumn, onclick: function () {
        var used = {};
        item.columns.forEach(function (c) { used[c.key] = true; });
        item.columns.push({key: newKey("c", used), label: "", type: "number"});
        render();
      }}));
      box.appendChild(el("h4", {text: T.rowRules}));
      (item.row_rules = item.row_rules || []).forEach(function (rule, i) {
        var names = item.columns.map(function (c) { return c.key; });
        box.appendChild(el("div", {"class": "builder-rule"}, [
          input(T.left, rule.left, function (v) { rule.left = v; }, {choices: names}),
          input(T.op, rule.type, function (v) { rule.type = v; }, {choices: ["lte", "gte"]}),
          input(T.right, rule.right, function (v) { rule.right = v; }, {choices: names}),
          tools(item.row_rules, i, T.rule)
        ]));
      });
      box.appendChild(el("button", {type: "button", "class": "link-button", text: T.addRowRule, onclick: function () {
        var first = item.columns[0] ? item.columns[0].key : "";
        item.row_rules.push({type: "lte", left: first, right: first});
        render();
      }}));
    } else {
      box.appendChild(input(T.type, item.type, function (v) { item.type = v; render(); }, {choices: QUESTION_TYPES}));
      box.appendChild(input(T.required, item.required, function (v) { item.required = v; }, {checkbox: true}));
      box.appendChild(input(T.prefill, item.prefill, function (v) { item.prefill = v || undefined; }, {choices: QUESTION_PREFILLS}));
      var condition = item.required_if || {};
      box.appendChild(input(T.requiredIf, condition.question, function (v) {
        v = v.trim();
        if (!v) { delete item.required_if; return; }
        item.required_if = {question: v, equals: (item.required_if || {}).equals === undefined ? true : item.required_if.equals};
      }, {size: 12}));
      box.appendChild(input(T.requiredAnswer, condition.equals === true ? T.yes : condition.equals === false ? T.no : condition.equals, function (v) {
        if (!item.required_if) return;
        var text = v.trim().toLowerCase();
        item.required_if.equals = [T.yes.toLowerCase(), "yes", "true"].indexOf(text) >= 0 ? true
          : [T.no.toLowerCase(), "no", "false"].indexOf(text) >= 0 ? false : v.trim();
      }, {size: 8}));
      if (item.type === "choice") box.appendChild(choicesField(item));
      if (item.type === "integer" || item.type === "number") {
        box.appendChild(input(T.min, item.min, function (v) { item.min = numberOrNull(v); }, {size: 6}));
        box.appendChild(input(T.max, item.max, function (v) { item.max = numberOrNull(v); }, {size: 6}));
        box.appendChild(input(T.indicator, item.indicator, function (v) { item.indicator = v.trim() || undefined; }, {size: 10}));
      }
    }
    box.appendChild(input(T.key, item.key, function (v) { item.key = v.trim(); }, {size: 16}));
    box.appendChild(tools(section.items, index, item.label || item.key));
    return box;
  }
  function render() {
    root.innerHTML = "";
    schema.sections.forEach(function (section, s) {
      section.items = section.items || [];
      var box = el("fieldset", {"class": "builder-section"}, [
        el("legend", {text: T.section + " " + (s + 1)}),
        input(T.title, section.title, function (v) { section.title = v; }, {size: 60}),
        input(T.help, section.help, function (v) { section.help = v; }, {area: true}),
        tools(schema.sections, s, T.section + " " + (s + 1))
      ]);
      section.items.forEach(function (item, i) { box.appendChild(itemEditor(section, item, i)); });
      box.appendChild(el("div", {"class": "builder-add"}, [
        el("button", {type: "button", "class": "button button-secondary button-small", text: T.addQuestion, onclick: function () {
          section.items.push({key: newKey("q", keys()), label: "", type: "text"});
          render();
        }}),
        el("button", {type: "button", "class": "button button-secondary button-small", text: T.addTable, onclick: function () {
          section.items.push({key: newKey("t", keys()), label: "", type: "table", columns: [{key: "c1", label: "", type: "text"}]});
          render();
        }})
      ]));
      root.appendChild(box);
    });
    root.appendChild(el("button", {type: "button", "class": "button button-secondary", text: T.addSection, onclick: function () {
      schema.sections.push({title: "", help: "", items: []});
      render();
    }}));
    var rules = el("fieldset", {"class": "builder-section"}, [el("legend", {text: T.formRules}), el("p", {"class": "hint", text: T.formRulesHelp})]);
    schema.rules.forEach(function (rule, i) {
      var compare = rule.type === "lte" || rule.type === "gte";
      var fields = [input(T.op, rule.type, function (v) {
        var was = rule.type === "lte" || rule.type === "gte";
        rule.type = v;
        if (was !== (v === "lte" || v === "gte")) render();
      }, {choices: ["sum_equals", "sum_lte", "lte", "gte"]})];
      if (compare) {
        fields.push(input(T.leftQuestion, rule.left, function (v) { rule.left = v.trim(); }, {size: 10}));
        fields.push(input(T.rightQuestion, rule.right, function (v) { rule.right = v.trim(); }, {size: 10}));
      } else {
        fields.push(input(T.tableKey, rule.table, function (v) { rule.table = v.trim(); }, {size: 10}));
        fields.push(input(T.columnKey, rule.column, function (v) { rule.column = v.trim(); }, {size: 10}));
        fields.push(input(T.questionKey, rule.question, function (v) { rule.question = v.trim(); }, {size: 10}));
      }
      fields.push(tools(schema.rules, i, T.rule));
      rules.appendChild(el("div", {"class": "builder-rule"}, fields));
    });
    rules.appendChild(el("button", {type: "button", "class": "link-button", text: T.addFormRule, onclick: function () {
      schema.rules.push({type: "sum_equals", table: "", column: "", question: ""});
      render();
    }}));
    root.appendChild(rules);
  }
  function clean(value) {
    return JSON.parse(JSON.stringify(value, function (k, v) { return v === null || v === undefined || v === "" ? undefined : v; }));
  }
  field.form.addEventListener("submit", function () {
    var out = clean(schema);
    out.sections = out.sections || [];
    out.sections.forEach(function (s) { s.items = s.items || []; s.title = s.title || ""; });
    field.value = JSON.stringify(out);
  });
  render();
})();
