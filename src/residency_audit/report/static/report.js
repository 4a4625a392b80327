/* Enhances the server-rendered report: filter by item and severity, search, sort.
   Reads the embedded JSON once; never builds HTML from data (textContent only). */
(function () {
  "use strict";
  var dataEl = document.getElementById("ra-data");
  if (!dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var table = document.getElementById("findings-table");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var findings = data.findings;
  var lang = data.lang;
  var rank = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var tbody = table.tBodies[0];
  var rows = [];  // rows[i] renders findings[i]
  Array.prototype.forEach.call(tbody.rows, function (tr) { rows[Number(tr.getAttribute("data-i"))] = tr; });
  var haystack = findings.map(function (f) {
    var loc = f.location || {};
    var res = f.resource || {};
    return [f.rule_id, f.fingerprint, f.provider, f.scope, res.name, res.uid, loc.region,
      loc.country, (loc.countries || []).join(" "), loc.mechanism, loc.target,
      f.message[lang], f.remediation[lang], f.guideline_items.join(" ")]
      .filter(function (s) { return s; }).join("\n").toLowerCase();
  });
  var itemSel = document.getElementById("f-item");
  var sevSel = document.getElementById("f-severity");
  var text = document.getElementById("f-text");
  var shown = document.getElementById("f-shown");

  function apply() {
    var item = itemSel.value, sev = sevSel.value, q = text.value.trim().toLowerCase();
    var n = 0;
    findings.forEach(function (f, i) {
      var ok = (!item || f.guideline_items.indexOf(item) !== -1) &&
        (!sev || f.severity === sev) && (!q || haystack[i].indexOf(q) !== -1);
      rows[i].hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = data.labels.shown.replace("{shown}", String(n)).replace("{total}", String(findings.length));
  }

  var keys = {
    severity: function (f) { return -rank[f.severity]; },
    item: function (f) { return f.guideline_items[0] || ""; },
    resource: function (f) { return f.resource ? f.resource.name : ""; },
    country: function (f) { return f.location ? (f.location.country || "\uffff") : ""; }
  };
  function sortBy(th, key) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var order = findings.map(function (_, i) { return i; });
    order.sort(function (a, b) {
      var ka = keys[key](findings[a]), kb = keys[key](findings[b]);
      var c = ka < kb ? -1 : ka > kb ? 1 : 0;
      return (asc ? c : -c) || a - b;
    });
    var frag = document.createDocumentFragment();
    order.forEach(function (i) { frag.appendChild(rows[i]); });
    tbody.appendChild(frag);
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    var key = th.getAttribute("data-sort");
    if (!key || !keys[key]) { return; }
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "sort";
    btn.title = data.labels.sort_hint;
    while (th.firstChild) { btn.appendChild(th.firstChild); }
    th.appendChild(btn);
    btn.addEventListener("click", function () { sortBy(th, key); });
  });

  form.addEventListener("submit", function (e) { e.preventDefault(); });
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-filter-item]"), function (a) {
    a.addEventListener("click", function () {
      itemSel.value = a.getAttribute("data-filter-item") || "";
      sevSel.value = a.getAttribute("data-filter-severity") || "";
      text.value = "";
      apply();
    });
  });
  form.hidden = false;
  apply();
}());
