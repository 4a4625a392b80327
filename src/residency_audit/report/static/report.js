/* residency-audit report: language switch, findings table and bucket views drawn from #ra-data.
   The data is parsed once. Nothing is ever built from HTML strings: every value goes through
   textContent or a DOM attribute, so names, tags and error messages can never run as code.
   Tables are paged (a 20,000-bucket report has tens of thousands of findings); printing draws
   every row that matches the current filters. */
(function () {
  "use strict";
  var dataEl = document.getElementById("ra-data");
  if (!dataEl) { return; }
  var D = JSON.parse(dataEl.textContent);
  var S = D.s, L = D.labels, F = D.findings, B = D.buckets;
  var lang = D.lang;
  var PAGE_ROWS = 200, PAGE_CARDS = 40;
  // printing draws every matching row, up to these limits (the workbook has everything)
  var PRINT_ROWS = 5000, PRINT_CARDS = 300;
  var SEVS = ["critical", "high", "medium", "low", "info"];
  var RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var printing = false;

  // --- small helpers ---------------------------------------------------------------------------
  function li() { return lang === "ja" ? 0 : 1; }
  function t(key) { var e = L[key]; return e ? e[li()] : key; }
  // a guideline item as its reader knows it: (1)-note is the guideline's なお書き
  function itemName(id) { return L["item." + id] ? t("item." + id) : id; }
  function fmt(key, vars) {
    return t(key).replace(/\{(\w+)\}/g, function (m, k) { return vars[k] !== undefined ? String(vars[k]) : m; });
  }
  function s(i) { return i === undefined || i === null ? "" : S[i]; }
  function cname(cc) { var n = D.countries[cc]; return n ? n[li()] : cc; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  function put(parent) {
    for (var i = 1; i < arguments.length; i += 1) {
      var c = arguments[i];
      if (c === null || c === undefined || c === "") { continue; }
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function byId(id) { return document.getElementById(id); }
  function sevBadge(v) { return el("span", "sev sev-" + v, t("severity." + v)); }
  function badge(cls, text) { return el("span", "badge " + cls, text); }
  function code(text, cls) { return el("code", cls || "", text); }
  // a text with marks (residency_audit/markup.py): U+E001..U+E002 a code, U+E003..U+E004 a
  // cloud API's own words; each becomes an element, its text set as text
  function rich(parent, text) {
    var cur = parent;
    text.split(/([\ue001-\ue004])/).forEach(function (tok) {
      if (tok === "\ue001") { cur = parent.appendChild(el("code")); }
      else if (tok === "\ue003") { cur = parent.appendChild(el("q", "quoted")); cur.lang = "en"; }
      else if (tok === "\ue002" || tok === "\ue004") { cur = parent; }
      else if (tok) { cur.appendChild(document.createTextNode(tok)); }
    });
    return parent;
  }
  function ccNode(cc) {
    var span = el("span", "ccn");
    put(span, code(cc, "cc"), " ", cname(cc));
    return span;
  }
  function unknownNode() { return el("span", "unknown", t("unknown")); }
  function msg(f) {
    var text = f.m[li()].map(s).join("");
    return f.mt ? text.split("\ue000").join(bucketName(f)) : text;
  }
  function bucketName(f) {
    if (f.b !== undefined) { return B[f.b].n; }
    return f.rn ? f.rn[0] : "";
  }
  function statusOf(f) { return f.sup ? "suppressed" : (f.st || ""); }

  // findings of each bucket, in table order
  var bucketFindings = B.map(function () { return []; });
  F.forEach(function (f, i) { if (f.b !== undefined) { bucketFindings[f.b].push(i); } });
  var bucketCountries = B.map(function (b) {
    var set = {};
    (b.loc || []).forEach(function (l) { l[8].forEach(function (c) { set[c] = true; }); });
    return set;
  });

  // --- language --------------------------------------------------------------------------------
  var titleSuffix = document.title.indexOf(" — ") >= 0 ? document.title.slice(document.title.indexOf(" — ")) : "";
  var langSwitch = byId("lang-switch");
  function setLang(next) {
    lang = next;
    document.documentElement.lang = next;
    document.title = t("title") + titleSuffix;
    Array.prototype.forEach.call(langSwitch.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === next));
    });
    haystack = null;
    bucketHaystack = null;
    fillFindingOptions();
    fillBucketOptions();
    renderFindings();
    renderBuckets();
  }
  if (langSwitch) {
    langSwitch.addEventListener("click", function (e) {
      var b = e.target.closest ? e.target.closest("button[data-lang]") : null;
      if (b) { setLang(b.getAttribute("data-lang")); }
    });
    langSwitch.hidden = false;
  }

  // --- findings table --------------------------------------------------------------------------
  var table = byId("findings-table");
  var form = byId("filters");
  var sel = {
    item: byId("f-item"), severity: byId("f-severity"), provider: byId("f-provider"),
    scope: byId("f-scope"), country: byId("f-country"), state: byId("f-state")
  };
  var text = byId("f-text");
  var shown = byId("f-shown");
  var pager = byId("f-pager");
  var printMore = el("p", "note print-more");
  if (pager) { pager.parentNode.insertBefore(printMore, pager); }
  var order = F.map(function (_, i) { return i; });
  var filtered = [];
  var page = 0;
  var haystack = null;

  function distinct(values) {
    var seen = {}, out = [];
    values.forEach(function (v) { if (v !== "" && v !== undefined && !seen[v]) { seen[v] = true; out.push(v); } });
    return out;
  }
  function fillSelect(select, options) {
    var keep = select.value;
    while (select.firstChild) { select.removeChild(select.firstChild); }
    options.forEach(function (o) {
      var opt = el("option", "", o[1]);
      opt.value = o[0];
      select.appendChild(opt);
    });
    select.value = keep;
    if (select.value !== keep) { select.value = options.length ? options[0][0] : ""; }
  }
  var allItems = distinct((D.items || []).concat([].concat.apply([], F.map(function (f) { return f.it; }))));
  var allProviders = distinct(F.map(function (f) { return s(f.p); })).sort();
  var allScopes = distinct(F.map(function (f) { return s(f.sc); })).sort();
  var allCountries = distinct([].concat.apply([], F.map(function (f) { return f.l ? f.l[3] : []; }))).sort();
  var hasStates = F.some(function (f) { return f.st; });
  // the country filter's 不明: a finding whose location has no country (a code no ISO country has)
  var UNKNOWN_COUNTRY = "unknown";
  function noCountry(f) { return !!f.l && (f.l[2] === null || f.l[2] === undefined); }
  var hasUnknownCountry = F.some(noCountry);

  function fillFindingOptions() {
    if (!form) { return; }
    var all = [["", t("filter.all")]];
    fillSelect(sel.item, all.concat(allItems.map(function (i) { return [i, itemName(i)]; })));
    fillSelect(sel.severity, all.concat(SEVS.map(function (v) { return [v, t("severity." + v)]; })));
    fillSelect(sel.provider, all.concat(allProviders.map(function (p) { return [p, p]; })));
    fillSelect(sel.scope, all.concat(allScopes.map(function (p) { return [p, p]; })));
    var countries = all.concat(allCountries.map(function (c) { return [c, c + " " + cname(c)]; }));
    if (hasUnknownCountry) { countries.push([UNKNOWN_COUNTRY, t("unknown")]); }
    fillSelect(sel.country, countries);
    var states = [["", t("filter.state_active")]];
    if (hasStates) {
      ["new", "persisting", "reopened"].forEach(function (v) { states.push([v, t("state." + v)]); });
    }
    states.push(["suppressed", t("filter.state_suppressed")], ["any", t("filter.state_any")]);
    fillSelect(sel.state, states);
  }

  function searchText(f) {
    var parts = [s(f.r), f.fp, s(f.p), s(f.sc), bucketName(f), f.it.join(" "), msg(f), s(f.rm[li()])];
    if (f.b !== undefined) { parts.push(B[f.b].u); }
    if (f.rn) { parts.push(f.rn[1]); }
    if (f.l) {
      parts.push(s(f.l[1]), f.l[2] || "", f.l[3].join(" "), s(f.l[5]), s(f.l[6]));
      f.l[3].forEach(function (c) { parts.push(cname(c)); });
    }
    (f.adj || []).forEach(function (a) { parts.push(s(a[li()])); });
    if (f.sup) { parts.push(f.sup[0], f.sup[1], f.sup[2]); }
    return parts.join("\n").toLowerCase();
  }

  function matches(f, i, c) {
    if (c.item && f.it.indexOf(c.item) === -1) { return false; }
    if (c.severity && f.sv !== c.severity) { return false; }
    if (c.provider && s(f.p) !== c.provider) { return false; }
    if (c.scope && s(f.sc) !== c.scope) { return false; }
    if (c.country === UNKNOWN_COUNTRY) { if (!noCountry(f)) { return false; } }
    else if (c.country && !(f.l && f.l[3].indexOf(c.country) !== -1)) { return false; }
    var st = statusOf(f);
    if (c.state === "") { if (st === "suppressed") { return false; } }
    else if (c.state !== "any" && st !== c.state) { return false; }
    if (c.q) {
      if (!haystack) { haystack = F.map(searchText); }
      if (haystack[i].indexOf(c.q) === -1) { return false; }
    }
    return true;
  }

  function applyFindings(keepPage) {
    if (!form) { return; }
    var c = {
      item: sel.item.value, severity: sel.severity.value, provider: sel.provider.value,
      scope: sel.scope.value, country: sel.country.value, state: sel.state.value,
      q: text.value.trim().toLowerCase()
    };
    filtered = order.filter(function (i) { return matches(F[i], i, c); });
    if (keepPage !== true) { page = 0; }
    page = Math.max(0, Math.min(page, Math.ceil(filtered.length / PAGE_ROWS) - 1));
    renderFindings();
  }

  // --- filter state in the URL fragment: #findings?item=…&severity=…&page=2 -------------------
  // A link reopens the same view. The fragment is replaced, not pushed, so typing a search does
  // not add a history entry per keystroke; #item-N and #b-N anchors are left to themselves.
  var FRAGMENT = "#findings?";
  var FRAGMENT_KEYS = ["item", "severity", "provider", "scope", "country", "state"];
  function stateFragment() {
    var parts = [];
    FRAGMENT_KEYS.forEach(function (k) {
      if (sel[k].value) { parts.push(k + "=" + encodeURIComponent(sel[k].value)); }
    });
    if (text.value) { parts.push("q=" + encodeURIComponent(text.value)); }
    if (page) { parts.push("page=" + (page + 1)); }
    return parts.length ? FRAGMENT + parts.join("&") : "";
  }
  function writeFragment() {
    if (!form || !window.history || !history.replaceState) { return; }
    var next = stateFragment();
    var here = window.location.hash;
    // the default view needs no fragment; an anchor (#b-3) stays until a filter changes
    if (!next && here.indexOf(FRAGMENT) !== 0) { return; }
    if (next === here) { return; }
    history.replaceState(history.state, "", next || window.location.pathname + window.location.search);
  }
  function readFragment() {
    var hash = window.location.hash;
    if (!form || hash.indexOf(FRAGMENT) !== 0) { return false; }
    var got = {};
    hash.slice(FRAGMENT.length).split("&").forEach(function (pair) {
      var eq = pair.indexOf("=");
      if (eq <= 0) { return; }
      try { got[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1)); } catch (err) { /* a mangled value is ignored */ }
    });
    FRAGMENT_KEYS.forEach(function (k) {
      sel[k].value = got[k] || "";
      if (sel[k].value !== (got[k] || "")) { sel[k].value = ""; }  // a value this page does not offer
    });
    text.value = got.q || "";
    var n = parseInt(got.page || "1", 10);
    page = n > 0 ? n - 1 : 0;
    applyFindings(true);
    return true;
  }
  function openFiltersFromHash() {
    if (readFragment()) { byId("findings").scrollIntoView(); }  // the form lives in #findings
  }

  function locationCell(f) {
    var td = el("td");
    var l = f.l;
    if (!l) { td.textContent = "—"; return td; }
    put(td, t("role." + l[0]), " · ", l[1] !== undefined && l[1] !== null ? code(s(l[1])) : unknownNode());
    td.appendChild(el("br"));
    put(td, l[2] ? ccNode(l[2]) : unknownNode());
    if (l[3].length > 1) { put(td, " ", el("small", "", "(" + l[3].join(", ") + ")")); }
    put(td, " ", el("span", "cert cert-" + l[4], t("certainty." + l[4])));
    if (l[5] !== undefined && l[5] !== null) {
      td.appendChild(el("br"));
      var small = el("small", "", s(l[5]));
      if (l[6] !== undefined && l[6] !== null) { put(small, " → ", code(s(l[6]))); }
      td.appendChild(small);
    }
    return td;
  }

  function findingRow(i) {
    var f = F[i];
    var tr = el("tr", "sev-" + f.sv + (f.u ? " is-unverified" : "") + (f.sup ? " is-suppressed" : ""));
    tr.setAttribute("data-i", String(i));
    var td = put(el("td"), sevBadge(f.sv));
    if (f.u) { put(td, " ", badge("unverified", t("badge.unverified"))); }
    if (f.sup) { put(td, " ", badge("suppressed", t("badge.suppressed"))); }
    if (f.st) { put(td, " ", badge("state state-" + f.st, t("state." + f.st))); }
    tr.appendChild(td);
    td = el("td");
    f.it.forEach(function (item, k) { put(td, k ? " " : "", el("span", "item", itemName(item))); });
    put(td, el("br"), put(el("small"), code(s(f.r))));
    tr.appendChild(td);
    td = el("td");
    if (f.b !== undefined) {
      var a = el("a", "", B[f.b].n);
      a.href = "#b-" + f.b;
      td.appendChild(a);
    } else if (f.rn) {
      td.appendChild(document.createTextNode(f.rn[0]));
    } else {
      td.appendChild(el("em", "", t("findings.scope_level")));
    }
    put(td, el("br"), el("small", "", s(f.p) + " / " + s(f.sc)));
    tr.appendChild(td);
    tr.appendChild(locationCell(f));
    td = el("td", "", msg(f));
    if (f.adj && f.adj.length) {
      var ul = el("ul", "adjust");
      f.adj.forEach(function (a) { ul.appendChild(el("li", "", s(a[li()]))); });
      td.appendChild(ul);
    }
    if (f.sup) {
      put(td, el("br"), el("small", "", t("badge.suppressed") + ": " + f.sup[1] + " (" + f.sup[2] + ", " + f.sup[3] + ")"));
    }
    tr.appendChild(td);
    tr.appendChild(el("td", "", s(f.rm[li()])));
    return tr;
  }

  function renderPager(node, count, size, current, go) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
    var pages = Math.max(1, Math.ceil(count / size));
    node.hidden = printing || pages <= 1;
    if (node.hidden) { return; }
    var prev = el("button", "", t("pager.prev"));
    prev.type = "button";
    prev.disabled = current === 0;
    prev.addEventListener("click", function () { go(current - 1); });
    var next = el("button", "", t("pager.next"));
    next.type = "button";
    next.disabled = current >= pages - 1;
    next.addEventListener("click", function () { go(current + 1); });
    put(node, prev, " ", el("span", "page-no", fmt("pager.page", { page: current + 1, pages: pages })), " ", next);
  }

  function renderFindings() {
    if (!table) { return; }
    var tbody = table.tBodies[0];
    var start = printing ? 0 : page * PAGE_ROWS;
    var end = Math.min(filtered.length, printing ? PRINT_ROWS : start + PAGE_ROWS);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k += 1) { frag.appendChild(findingRow(filtered[k])); }
    tbody.textContent = "";
    tbody.appendChild(frag);
    printMore.textContent = printing && end < filtered.length ? fmt("print.more", { n: filtered.length - end }) : "";
    shown.textContent = fmt("filter.shown", { shown: filtered.length, total: F.length });
    renderPager(pager, filtered.length, PAGE_ROWS, page, function (p) {
      page = p;
      renderFindings();
      writeFragment();
      table.scrollIntoView();
    });
  }

  var sortKeys = {
    severity: function (f) { return -RANK[f.sv]; },
    item: function (f) { return f.it[0] || ""; },
    resource: function (f) { return bucketName(f); },
    country: function (f) { return f.l ? (f.l[2] || "\uffff") : ""; }
  };
  function sortBy(th, key) {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var keys = F.map(sortKeys[key]);
    order = F.map(function (_, i) { return i; });
    order.sort(function (a, b) {
      var ka = keys[a], kb = keys[b];
      var c = ka < kb ? -1 : ka > kb ? 1 : 0;
      return (asc ? c : -c) || a - b;
    });
    applyFindings();
    writeFragment();
  }

  if (table && form) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      var key = th.getAttribute("data-sort");
      if (!key || !sortKeys[key]) { return; }
      var btn = el("button", "sort");
      btn.type = "button";
      while (th.firstChild) { btn.appendChild(th.firstChild); }
      th.appendChild(btn);
      btn.addEventListener("click", function () { sortBy(th, key); });
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var onFilter = function () { applyFindings(); writeFragment(); };
    form.addEventListener("input", onFilter);
    form.addEventListener("change", onFilter);
    form.addEventListener("reset", function () { window.setTimeout(onFilter, 0); });
    fillFindingOptions();
    form.hidden = false;
    table.hidden = false;
  }

  // links from the summary, the guideline view and the map set filters
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-filter-item], a[data-filter-severity], a[data-filter-country]") : null;
    if (!a) { return; }
    if (a.hasAttribute("data-filter-country")) {
      bsel.country.value = a.getAttribute("data-filter-country");
      bsel.text.value = "";
      single = null;
      applyBuckets();
      return;
    }
    if (!form) { return; }
    // every other filter cleared by hand: form.reset() would fire a reset that filters again
    FRAGMENT_KEYS.forEach(function (k) { sel[k].value = ""; });
    sel.item.value = a.getAttribute("data-filter-item") || "";
    sel.severity.value = a.getAttribute("data-filter-severity") || "";
    text.value = "";
    page = 0;
    // the link's own #findings would drop the filter from the address: name it instead, and
    // hashchange filters once and brings the table into view
    e.preventDefault();
    var next = stateFragment();
    if (next && next !== window.location.hash) { window.location.hash = next; return; }
    applyFindings();
    writeFragment();
    byId("findings").scrollIntoView();
  });

  // --- buckets ---------------------------------------------------------------------------------
  var bform = byId("bfilters");
  var list = byId("bucket-list");
  var bpager = byId("b-pager");
  var bsel = {
    provider: byId("b-provider"), country: byId("b-country"), withFindings: byId("b-with-findings"),
    text: byId("b-text"), shown: byId("b-shown")
  };
  var bfiltered = [];
  var bpage = 0;
  var single = null;  // a bucket opened from a link: shown alone
  var bucketHaystack = null;

  function fillBucketOptions() {
    if (!bform) { return; }
    var all = [["", t("filter.all")]];
    fillSelect(bsel.provider, all.concat(distinct(B.map(function (b) { return s(b.p); })).sort().map(function (p) { return [p, p]; })));
    var cs = {};
    bucketCountries.forEach(function (set) { Object.keys(set).forEach(function (c) { cs[c] = true; }); });
    fillSelect(bsel.country, all.concat(Object.keys(cs).sort().map(function (c) { return [c, c + " " + cname(c)]; })));
  }

  function bucketText(b) {
    var parts = [b.n, b.u, s(b.p), s(b.sc)];
    (b.tags || []).forEach(function (kv) { parts.push(s(kv[0]), s(kv[1])); });
    (b.loc || []).forEach(function (l) { parts.push(s(l[2]), s(l[3]), s(l[4])); l[8].forEach(function (c) { parts.push(c, cname(c)); }); });
    return parts.join("\n").toLowerCase();
  }

  function applyBuckets() {
    if (!bform) { return; }
    var p = bsel.provider.value, c = bsel.country.value, w = bsel.withFindings.checked;
    var q = bsel.text.value.trim().toLowerCase();
    if (q && !bucketHaystack) { bucketHaystack = B.map(bucketText); }
    bfiltered = [];
    for (var j = 0; j < B.length; j += 1) {
      if (single !== null && j !== single) { continue; }
      if (single === null) {
        if (p && s(B[j].p) !== p) { continue; }
        if (c && !bucketCountries[j][c]) { continue; }
        if (w && !bucketFindings[j].length) { continue; }
        if (q && bucketHaystack[j].indexOf(q) === -1) { continue; }
      }
      bfiltered.push(j);
    }
    bpage = 0;
    renderBuckets();
  }

  function kv(dl, label, value) {
    dl.appendChild(el("dt", "", t(label)));
    var dd = el("dd");
    put(dd, value);
    dl.appendChild(dd);
    return dd;
  }

  function bucketCard(j) {
    var b = B[j];
    var card = el("article", "bucket");
    card.id = "b-" + j;
    put(card, put(el("h3"), b.n, " ", el("small", "", s(b.p) + " / " + s(b.sc))));
    var dl = el("dl", "kv");
    kv(dl, "bucket.uid", code(b.u));
    var cls = kv(dl, "bucket.classification", t("classification." + (b.cl || "none")));
    if (b.cs !== undefined) { put(cls, " ", el("small", "", t("bucket.classification_source") + ": "), code(s(b.cs))); }
    var enc = b.enc || ["unknown"];
    var encDd = kv(dl, "bucket.encryption", t("encryption." + enc[0]));
    if (enc[2] !== undefined && enc[2] !== null) { put(encDd, " (", rich(el("span"), s(enc[2][li()])), ")"); }
    if (enc[1] !== undefined && enc[1] !== null) { put(encDd, el("br"), code(s(enc[1]))); }
    var pub = b.pub || ["unknown", []];
    var pubDd = kv(dl, "bucket.public", t("public." + pub[0]));
    if (pub[1].length) {
      var ev = el("ul", "evidence");
      pub[1].forEach(function (x) { ev.appendChild(rich(el("li"), s(x[li()]))); });
      pubDd.appendChild(ev);
    }
    if (b.tags && b.tags.length) {
      var tags = el("ul", "tags");
      b.tags.forEach(function (pair) { tags.appendChild(put(el("li"), code(s(pair[0])), " = ", code(s(pair[1])))); });
      kv(dl, "bucket.tags", tags);
    }
    if (b.ext && b.ext.length) {
      var ext = el("ul", "tags");
      b.ext.forEach(function (x) { ext.appendChild(put(el("li"), code(x))); });
      kv(dl, "bucket.external", ext);
    }
    card.appendChild(dl);

    var locs = b.loc || [];
    if (locs.length) {
      card.appendChild(el("h4", "", t("bucket.locations")));
      var tbl = el("table", "locations");
      var head = el("tr");
      ["col.role", "col.region", "col.country", "col.certainty", "col.mechanism", "col.target", "col.catalog_source", "col.verified"].forEach(function (k) {
        var th = el("th", "", t(k));
        th.scope = "col";
        head.appendChild(th);
      });
      put(tbl, put(el("thead"), head));
      var body = el("tbody");
      locs.forEach(function (l) {
        var tr = el("tr", l[8].some(function (c) { return D.tiers[c] === "concern"; }) ? "t-concern" : "");
        var role = put(el("td"), t("role." + l[0]));
        if (l[6]) { put(role, " ", badge("derived", t("badge.derived"))); }
        tr.appendChild(role);
        tr.appendChild(put(el("td"), l[2] !== undefined && l[2] !== null ? code(s(l[2])) : unknownNode()));
        var ctd = el("td");
        if (l[8].length) {
          l[8].forEach(function (c, k) {
            put(ctd, k ? ", " : "", ccNode(c));
            if (D.tiers[c]) { put(ctd, " ", el("span", "tier tier-" + D.tiers[c], t("tier." + D.tiers[c]))); }
          });
        } else {
          ctd.appendChild(unknownNode());
        }
        var why = l[7] !== undefined && l[7] !== null ? s(l[7]) : s(l[11]);
        if (why) { put(ctd, el("br"), el("small", "", why)); }
        tr.appendChild(ctd);
        tr.appendChild(put(el("td"), el("span", "cert cert-" + l[5], t("certainty." + l[5]))));
        tr.appendChild(el("td", "", s(l[3])));
        tr.appendChild(put(el("td"), l[4] !== undefined && l[4] !== null ? code(s(l[4])) : "—"));
        tr.appendChild(el("td", "small", l[10] !== undefined && l[10] !== null ? s(l[10]) : "—"));
        var ver = el("td");
        if (l[9] === 1) { ver.textContent = t("yes"); }
        else if (l[9] === 0) { ver.appendChild(badge("unverified", t("badge.catalog_unverified"))); }
        else { ver.textContent = "—"; }
        tr.appendChild(ver);
        body.appendChild(tr);
      });
      tbl.appendChild(body);
      card.appendChild(tbl);
      // where copies go: the primary's countries -> every other location's
      var primary = locs.filter(function (l) { return l[0] === "primary"; })[0] || locs[0];
      var from = primary[8].length ? primary[8].join(", ") : "?";
      var flows = el("p", "flows-line");
      put(flows, el("strong", "", t("bucket.flows") + ": "));
      var any = false;
      locs.forEach(function (l) {
        if (l === primary) { return; }
        var to = l[8].length ? l[8].join(", ") : "?";
        put(flows, any ? " · " : "", from + " → " + to + " (" + t("role." + l[0]) + ")");
        any = true;
      });
      if (!any) { put(flows, from + " (" + t("role." + primary[0]) + ")"); }
      card.appendChild(flows);
    } else {
      card.appendChild(el("p", "notice warn", t("bucket.no_locations")));
    }
    if (b.gaps && b.gaps.length) {
      card.appendChild(el("h4", "", t("bucket.gaps")));
      var gl = el("ul", "gaps");
      b.gaps.forEach(function (g) {
        var item = put(el("li"), code(s(g[0])), ": " + s(g[1]));
        if (g[2]) { put(item, " (", code(g[2]), ")"); }
        (g[3] || []).forEach(function (h) { put(item, " ", badge("unverified", t("hides." + h))); });
        gl.appendChild(item);
      });
      card.appendChild(gl);
    }
    var mine = bucketFindings[j];
    if (mine.length) {
      card.appendChild(el("h4", "", t("bucket.findings") + " (" + mine.length + ")"));
      var fl = el("ul", "finding-list");
      mine.forEach(function (i) {
        var f = F[i];
        var item = put(el("li"), sevBadge(f.sv), " ");
        f.it.forEach(function (x) { put(item, el("span", "item", itemName(x)), " "); });
        if (f.sup) { put(item, badge("suppressed", t("badge.suppressed")), " "); }
        if (f.u) { put(item, badge("unverified", t("badge.unverified")), " "); }
        put(item, el("br"), el("span", "msg", msg(f)), el("br"), put(el("span", "rem"), el("strong", "", t("col.remediation") + ": "), s(f.rm[li()])));
        fl.appendChild(item);
      });
      card.appendChild(fl);
    }
    return card;
  }

  function renderBuckets() {
    if (!bform) { return; }
    var start = printing ? 0 : bpage * PAGE_CARDS;
    var end = Math.min(bfiltered.length, printing ? PRINT_CARDS : start + PAGE_CARDS);
    var frag = document.createDocumentFragment();
    if (single !== null) {
      var back = el("button", "show-all", t("buckets.show_all"));
      back.type = "button";
      back.addEventListener("click", function () { single = null; applyBuckets(); });
      frag.appendChild(back);
    }
    for (var k = start; k < end; k += 1) { frag.appendChild(bucketCard(bfiltered[k])); }
    if (printing && end < bfiltered.length) { frag.appendChild(el("p", "note", fmt("print.more", { n: bfiltered.length - end }))); }
    list.textContent = "";
    list.appendChild(frag);
    bsel.shown.textContent = fmt("filter.shown", { shown: bfiltered.length, total: B.length });
    renderPager(bpager, bfiltered.length, PAGE_CARDS, bpage, function (p) {
      bpage = p;
      renderBuckets();
      list.scrollIntoView();
    });
  }

  function openFromHash() {
    var m = /^#b-(\d+)$/.exec(window.location.hash);
    if (!m || !bform) { return; }
    var j = Number(m[1]);
    if (j >= B.length) { return; }
    single = j;
    applyBuckets();
    var card = byId("b-" + j);
    if (card) { card.scrollIntoView(); }
  }

  if (bform && list) {
    bform.addEventListener("submit", function (e) { e.preventDefault(); });
    bform.addEventListener("input", function () { single = null; applyBuckets(); });
    bform.addEventListener("change", function () { single = null; applyBuckets(); });
    bform.addEventListener("reset", function () { single = null; window.setTimeout(applyBuckets, 0); });
    fillBucketOptions();
    bform.hidden = false;
    window.addEventListener("hashchange", openFromHash);
  }

  // --- printing: every matching row, not just the current page ---------------------------------
  function setPrinting(on) {
    if (printing === on) { return; }
    printing = on;
    renderFindings();
    renderBuckets();
  }
  window.addEventListener("beforeprint", function () { setPrinting(true); });
  window.addEventListener("afterprint", function () { setPrinting(false); });
  // Chromium does not paint a <button> in a table header repeated on a later page: print.css
  // hides the sort buttons and shows this copy of each label (print-only, both languages)
  Array.prototype.forEach.call(document.querySelectorAll("thead th > button.sort"), function (btn) {
    var label = el("span", "print-only");
    Array.prototype.forEach.call(btn.childNodes, function (c) { label.appendChild(c.cloneNode(true)); });
    btn.parentNode.insertBefore(label, btn);
  });
  // printed, a bucket is its summary line: say where its details are
  if (list) { list.parentNode.insertBefore(el("p", "note print-only", t("print.buckets_note")), list); }
  if (window.matchMedia) {
    var mq = window.matchMedia("print");
    var onChange = function (e) { setPrinting(e.matches); };
    if (mq.addEventListener) { mq.addEventListener("change", onChange); }
  }

  if (langSwitch) {
    Array.prototype.forEach.call(langSwitch.querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-lang") === lang));
    });
  }
  if (form) { window.addEventListener("hashchange", openFiltersFromHash); }
  var fromLink = readFragment();  // a link with filters: open the view it names
  if (!fromLink) { applyFindings(); }
  applyBuckets();
  openFromHash();
  if (fromLink) { byId("findings").scrollIntoView(); }
  document.documentElement.setAttribute("data-ready", "1");
}());
