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
  var S = D.s, V = D.v, E = D.e, L = D.labels;
  var lang = D.lang;
  var PAGE_ROWS = 100, PAGE_CARDS = 40;
  // printing draws every matching row, up to these limits (the workbook has everything)
  var PRINT_ROWS = 5000, PRINT_CARDS = 300;
  var SEVS = ["critical", "high", "medium", "low", "info"];
  var RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  var NAME = "\ue000", TAIL = "\ue005";  // a bucket's name (its part after the last "/") in a text
  var FP = 16;  // fingerprint digits in the page
  var printing = false;

  // --- the data: columns (schema v3) back into one object per row ----------------------------
  // Values shared by many rows (V) stay shared: rows only read them.
  function decodeBuckets(c) {
    var out = new Array(c.count);
    for (var j = 0; j < c.count; j += 1) {
      var n = c.n[j], key = String(j);
      var u = c.ul[key] !== undefined ? c.ul[key]
        : S[c.u[j]].split(NAME).join(n).split(TAIL).join(n.slice(n.lastIndexOf("/") + 1));
      out[j] = {
        n: n, u: u, p: c.p[j], sc: c.sc[j], tags: V[c.tags[j]] || undefined,
        cl: E.cl[c.cl[j]] || undefined, cs: c.cs[j] || undefined, enc: V[c.enc[j]] || undefined,
        pub: V[c.pub[j]] || undefined, ext: V[c.ext[j]] || undefined, loc: V[c.loc[j]] || undefined,
        gaps: V[c.gaps[j]] || undefined
      };
    }
    return out;
  }
  function decodeFindings(c) {
    var out = new Array(c.count);
    for (var i = 0; i < c.count; i += 1) {
      var key = String(i), m = V[c.m[i]];
      var f = {
        fp: c.fp.substr(i * FP, FP).replace(/-+$/, ""), r: c.r[i], it: V[c.it[i]] || [],
        sv: E.sv[c.sv[i]], p: c.p[i], sc: c.sc[i], l: V[c.l[i]] || undefined, m: [m[1], m[2]],
        rm: V[c.rm[i]], adj: V[c.adj[i]] || undefined, cl: E.cl[c.cl[i]] || undefined,
        st: E.st[c.st[i]] || undefined, fs: c.fs[i] ? S[c.fs[i]] : undefined
      };
      if (m[0]) { f.mt = 1; }
      if (c.b[i] >= 0) { f.b = c.b[i]; }
      if (c.bs[key] !== undefined) { f.bs = E.sv[c.bs[key]]; }
      if (c.rn[key]) { f.rn = c.rn[key]; }
      if (c.u[key]) { f.u = 1; }
      if (c.sup[key]) { f.sup = V[c.sup[key]]; }
      out[i] = f;
    }
    return out;
  }
  var B = decodeBuckets(D.buckets), F = decodeFindings(D.findings);
  var FC = D.findings;  // the columns: a search reuses work per shared value

  // --- small helpers ---------------------------------------------------------------------------
  function li() { return lang === "ja" ? 0 : 1; }
  function t(key) { var e = L[key]; return e ? e[li()] : key; }
  // a provider by its name (AWS, Google Cloud, Azure); an unknown one as it is
  function pname(p) { return L["provider." + p] ? t("provider." + p) : p; }
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
  function code(text, cls) {
    var c = el("code", cls || "", text);
    if (String(text).length > 40) { c.className += " long"; c.title = String(text); }  // cut with "…", never split
    return c;
  }
  function ccNode(cc) {
    var span = el("span", "ccn");
    put(span, cname(cc), " ", el("small", "", "(" + cc + ")"));
    return span;
  }
  function unknownNode() { return el("span", "unknown", t("unknown")); }
  // a mechanism by its name in the terms table; one without a term stays a code
  function mechanismName(m) { return L["mechanism." + m] ? t("mechanism." + m) : m; }
  function mechanism(m) { return L["mechanism." + m] ? t("mechanism." + m) : code(m); }

  // Finding texts carry marks (residency_audit/markup.py): U+E001…U+E002 a code,
  // U+E003…U+E004 a cloud API's own words. Each becomes an element, its text set as text.
  var MARKS = /[\ue001-\ue004]/g;
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
  function plainText(text) {
    var q = lang === "ja" ? ["「", "」"] : ["\u201c", "\u201d"];
    return text.replace(/\ue003/g, q[0]).replace(/\ue004/g, q[1]).replace(MARKS, "");
  }
  function msg(f) {
    var text = f.m[li()].map(s).join("");
    return f.mt ? text.split(NAME).join(bucketName(f)) : text;
  }
  function bucketName(f) {
    if (f.b !== undefined) { return B[f.b].n; }
    return f.rn ? f.rn[0] : "";
  }
  function statusOf(f) { return f.sup ? "suppressed" : (f.st || ""); }

  // findings of each bucket, in table order
  var bucketFindings = B.map(function () { return []; });
  F.forEach(function (f, i) { if (f.b !== undefined) { bucketFindings[f.b].push(i); } });
  // each bucket's countries (a set), one per shared location list
  var countriesOfLoc = {};
  var bucketCountries = B.map(function (b, j) {
    var k = D.buckets.loc[j], set = countriesOfLoc[k];
    if (set) { return set; }
    set = countriesOfLoc[k] = {};
    (b.loc || []).forEach(function (l) { l[8].forEach(function (c) { set[c] = true; }); });
    return set;
  });
  // each remediation is written once, in its own numbered block; rows refer to it by number
  var fixNo = {}, fixCount = 0;
  F.forEach(function (f, i) { var k = FC.rm[i]; if (!fixNo[k]) { fixCount += 1; fixNo[k] = fixCount; } });

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
    stopWarming();
    bucketHaystack = null;
    fillFindingOptions();
    fillBucketOptions();
    renderFindings();
    renderFixes();
    renderBuckets();
    renderGlanceFilter();
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
  var fixes = byId("f-fixes");
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
  // the options come from the distinct shared values, not from every row
  function distinctOf(column, get) {
    var seen = {}, out = [];
    for (var i = 0; i < column.length; i += 1) {
      var k = column[i];
      if (!seen[k]) { seen[k] = true; out.push(get(k)); }
    }
    return out;
  }
  var allItems = distinct((D.items || []).concat([].concat.apply([], distinctOf(FC.it, function (k) { return V[k] || []; }))));
  var allProviders = distinct(distinctOf(FC.p, s)).sort();
  var allScopes = distinct(distinctOf(FC.sc, s)).sort();
  var allCountries = distinct([].concat.apply([], distinctOf(FC.l, function (k) { return V[k] ? V[k][3] : []; }))).sort();
  var hasStates = FC.st.some(function (x) { return x; });
  // the country filter's 不明: a finding whose location has no country (a code no ISO country has)
  var UNKNOWN_COUNTRY = "unknown";
  function noCountry(f) { return !!f.l && (f.l[2] === null || f.l[2] === undefined); }
  var hasUnknownCountry = F.some(noCountry);

  function fillFindingOptions() {
    if (!form) { return; }
    var all = [["", t("filter.all")]];
    fillSelect(sel.item, all.concat(allItems.map(function (i) { return [i, itemName(i)]; })));
    fillSelect(sel.severity, all.concat(SEVS.map(function (v) { return [v, t("severity." + v)]; })));
    fillSelect(sel.provider, all.concat(allProviders.map(function (p) { return [p, pname(p)]; })));
    fillSelect(sel.scope, all.concat(allScopes.map(function (p) { return [p, p]; })));
    var countries = all.concat(allCountries.map(function (c) { return [c, cname(c) + " (" + c + ")"]; }));
    if (hasUnknownCountry) { countries.push([UNKNOWN_COUNTRY, t("unknown")]); }
    fillSelect(sel.country, countries);
    var states = [["", t("filter.state_active")]];
    if (hasStates) {
      ["new", "persisting", "reopened"].forEach(function (v) { states.push([v, t("state." + v)]); });
    }
    states.push(["suppressed", t("filter.state_suppressed")], ["any", t("filter.state_any")]);
    fillSelect(sel.state, states);
  }

  // The search text of a finding, lower case and without marks. What many findings share (the
  // message with the name as U+E000, remediation, location, rule) is built once per value.
  var sharedText = {};
  function sharedSearch(f, i) {
    var key = FC.m[i] + "," + FC.rm[i] + "," + FC.l[i] + "," + FC.adj[i] + "," + FC.r[i] + "," +
      FC.p[i] + "," + FC.sc[i] + "," + FC.it[i];
    var x = sharedText[key];
    if (x !== undefined) { return x; }
    var text = f.m[li()].map(s).join("");
    var parts = [s(f.r), s(f.p), s(f.sc), f.it.join(" "), text, s(f.rm[li()])];
    if (f.l) {
      parts.push(s(f.l[1]), f.l[2] || "", f.l[3].join(" "), s(f.l[5]), mechanismName(s(f.l[5])), s(f.l[6]));
      f.l[3].forEach(function (c) { parts.push(cname(c)); });
    }
    (f.adj || []).forEach(function (a) { parts.push(s(a[li()])); });
    x = sharedText[key] = parts.join("\n").replace(MARKS, "").toLowerCase();
    return x;
  }
  function searchText(f, i, bucketLow) {
    var low = f.b !== undefined ? bucketLow[f.b] : null;
    var name = low ? low[0] : bucketName(f).toLowerCase();
    var shared = sharedSearch(f, i);
    var parts = [f.fp, name, f.mt ? shared.split(NAME).join(name) : shared];
    if (low) { parts.push(low[1]); }
    if (f.rn) { parts.push(f.rn[1].toLowerCase()); }
    if (f.sup) { parts.push(String(f.sup[0] + "\n" + f.sup[1] + "\n" + f.sup[2]).toLowerCase()); }
    return parts.join("\n");
  }
  // The search text is built on the first search, or before it while the page is idle (in short
  // slices that never hold up the reader), so a first search does not wait for 44,000 rows.
  var warm = null;  // the build under way: {out, next, bucketLow, lang, task}
  function startHaystack() {
    sharedText = {};
    var bucketLow = new Array(B.length);  // a bucket's name and uid, lower case, once for all its rows
    for (var j = 0; j < B.length; j += 1) { bucketLow[j] = [B[j].n.toLowerCase(), B[j].u.toLowerCase()]; }
    return { out: new Array(F.length), next: 0, bucketLow: bucketLow, lang: lang, task: null };
  }
  function buildHaystack() {
    if (!warm || warm.lang !== lang) { stopWarming(); warm = startHaystack(); }
    if (warm.task !== null && window.cancelIdleCallback) { window.cancelIdleCallback(warm.task); }
    for (var i = warm.next; i < F.length; i += 1) { warm.out[i] = searchText(F[i], i, warm.bucketLow); }
    var out = warm.out;
    warm = null;
    return out;
  }
  function stopWarming() {
    if (warm && warm.task !== null && window.cancelIdleCallback) { window.cancelIdleCallback(warm.task); }
    warm = null;
  }
  function warmHaystack() {
    if (haystack || !window.requestIdleCallback) { return; }
    warm = startHaystack();
    var slice = function (deadline) {
      var w = warm;
      if (!w) { return; }
      while (w.next < F.length && deadline.timeRemaining() > 1) {
        var end = Math.min(F.length, w.next + 500);
        for (var i = w.next; i < end; i += 1) { w.out[i] = searchText(F[i], i, w.bucketLow); }
        w.next = end;
      }
      if (w.next < F.length) { w.task = window.requestIdleCallback(slice); return; }
      if (w.lang === lang && !haystack) { haystack = w.out; }
      warm = null;
    };
    warm.task = window.requestIdleCallback(slice);
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
      if (!haystack) { haystack = buildHaystack(); }
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
    renderFixes();
    filterGlance(c.country);
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

  // A row is at most two lines: each cell has two one-line parts (cut with "…", the whole text
  // in the title) or, for the message, two lines at most (clamped; a click shows it all).
  function line(cls) { return el("div", "ln" + (cls ? " " + cls : "")); }
  function locationCell(f) {
    var td = el("td", "loc");
    var l = f.l;
    if (!l) { td.textContent = "—"; return td; }
    var first = line();
    put(first, l[2] ? ccNode(l[2]) : unknownNode());
    // a multi-region's candidate countries, by name (the line is cut; its title has them all)
    if (l[3].length > 1) {
      put(first, " ", el("small", "", "(" + l[3].map(cname).join(lang === "ja" ? "、" : ", ") + ")"));
    }
    put(first, " ", el("span", "cert cert-" + l[4], t("certainty." + l[4])));
    var second = line("small");
    put(second, t("role." + l[0]), " · ", l[1] !== undefined && l[1] !== null ? code(s(l[1])) : unknownNode());
    if (l[5] !== undefined && l[5] !== null) {
      put(second, " · ", mechanism(s(l[5])));
      if (l[6] !== undefined && l[6] !== null) { put(second, " → ", code(s(l[6]))); }
    }
    first.title = first.textContent;
    second.title = second.textContent;
    return put(td, first, second);
  }

  function findingRow(i) {
    var f = F[i];
    var tr = el("tr", "sev-" + f.sv + (f.u ? " is-unverified" : "") + (f.sup ? " is-suppressed" : ""));
    tr.setAttribute("data-i", String(i));
    var first = put(line(), sevBadge(f.sv));
    var second = line();
    if (f.u) { put(second, badge("unverified", t("badge.unverified")), " "); }
    if (f.sup) { put(second, badge("suppressed", t("badge.suppressed")), " "); }
    if (f.st) { put(second, badge("state state-" + f.st, t("state." + f.st))); }
    tr.appendChild(put(el("td", "sv"), first, second));
    first = line();
    f.it.forEach(function (item, k) { put(first, k ? " " : "", el("span", "item", itemName(item))); });
    second = put(line("small"), code(s(f.r)));
    second.title = s(f.r);
    tr.appendChild(put(el("td", "it"), first, second));
    first = line("res");
    if (f.b !== undefined) {
      var a = el("a", "", B[f.b].n);
      a.href = "#b-" + f.b;
      first.appendChild(a);
    } else if (f.rn) {
      first.appendChild(document.createTextNode(f.rn[0]));
    } else {
      first.appendChild(el("em", "", t("findings.scope_level")));
    }
    first.title = bucketName(f);
    second = line("small");
    second.textContent = pname(s(f.p)) + " / " + s(f.sc);
    second.title = second.textContent;
    tr.appendChild(put(el("td", "rs"), first, second));
    tr.appendChild(locationCell(f));
    var body = rich(el("div", "msg"), msg(f));
    (f.adj || []).forEach(function (a) { put(body, " ", rich(el("small", "adjust"), s(a[li()]))); });
    if (f.sup) {
      put(body, " ", el("small", "", t("badge.suppressed") + ": " + f.sup[1] + " (" + f.sup[2] + ", " + f.sup[3] + ")"));
    }
    body.title = plainText(msg(f));
    tr.appendChild(put(el("td", "mg"), body));
    var fix = el("a", "fix-ref", fmt("findings.fix_ref", { n: fixNo[FC.rm[i]] }));
    fix.href = "#fix-" + fixNo[FC.rm[i]];
    tr.appendChild(put(el("td", "fx"), fix));
    return tr;
  }

  // A remediation's summary line: its first sentence that no other remediation has (several
  // begin with the same guideline sentence and differ in what to do with this kind of copy).
  var fixHeads = {};
  function sentencesOf(text) {
    return lang === "ja" ? text.split(/(?<=。)/) : text.split(/(?<=\.) (?=[A-Z(])/);
  }
  function fixHead(r) {
    var key = li() + ":" + r;
    if (fixHeads[key] !== undefined) { return fixHeads[key]; }
    var seen = {};
    Object.keys(fixNo).forEach(function (k) {
      sentencesOf(s(V[k][li()])).forEach(function (x) { seen[x] = (seen[x] || 0) + 1; });
    });
    var own = sentencesOf(s(V[r][li()]));
    var head = own.filter(function (x) { return seen[x] === 1; })[0] || own[0];
    fixHeads[key] = head;
    return head;
  }

  // The remediations of the rows the filters show, each once: numbered, collapsed, with how
  // many rows it answers. The numbers stay the same whatever the filter.
  function renderFixes() {
    if (!fixes) { return; }
    var count = {}, items = {}, seen = [];
    for (var k = 0; k < filtered.length; k += 1) {
      var r = FC.rm[filtered[k]];
      if (count[r] === undefined) { count[r] = 0; items[r] = {}; seen.push(r); }
      count[r] += 1;
      items[r][FC.it[filtered[k]]] = true;  // the row's items, as one shared value
    }
    var open = {};
    Array.prototype.forEach.call(fixes.querySelectorAll("details[open]"), function (d) { open[d.id] = true; });
    seen.sort(function (a, b) { return fixNo[a] - fixNo[b]; });
    var frag = document.createDocumentFragment();
    frag.appendChild(el("h3", "", t("findings.fixes_heading")));
    seen.forEach(function (r) {
      var rm = V[r], n = fixNo[r], names = {};
      var d = el("details", "fix");
      d.id = "fix-" + n;
      if (printing || open[d.id]) { d.open = true; }
      var sum = el("summary");
      put(sum, el("span", "fix-no", "[" + n + "]"), " ");
      Object.keys(items[r]).forEach(function (k) { (V[k] || []).forEach(function (x) { names[x] = true; }); });
      Object.keys(names).sort().forEach(function (x) { put(sum, el("span", "item", itemName(x)), " "); });
      var full = s(rm[li()]);
      var head = fixHead(r);
      put(sum, rich(el("span", "fix-head"), head), " ", el("span", "fix-n", fmt("findings.fix_rows", { n: count[r] })));
      d.appendChild(sum);
      // one sentence: the summary says it all on screen (the printed record keeps the paragraph)
      if (head === full) { d.className += " fix-one"; }
      d.appendChild(rich(el("p", "fix-text"), full));
      frag.appendChild(d);
    });
    fixes.textContent = "";
    fixes.appendChild(frag);
    fixes.hidden = !seen.length;
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
    // a row's message is clamped to two lines: a click on it shows the whole text
    table.addEventListener("click", function (e) {
      var m = e.target.closest ? e.target.closest("div.msg") : null;
      if (m && !(e.target.closest("a"))) { m.classList.toggle("open"); }
    });
    if (fixes) {
      // a row's [n] opens its remediation block
      table.addEventListener("click", function (e) {
        var a = e.target.closest ? e.target.closest("a.fix-ref") : null;
        var d = a ? byId(a.getAttribute("href").slice(1)) : null;
        if (d) { d.open = true; }
      });
    }
  }

  // --- the at-a-glance block follows the country filter (the map sets it) ---------------------
  var glanceEl = byId("glance");
  var glanceBar = null, glanceCountry = "";
  function filterGlance(cc) {
    // every filter change passes here: touch the block only when its country changes
    if (!glanceEl || (glanceBar && (cc || "") === glanceCountry)) { return; }
    glanceCountry = cc || "";
    var any = false;
    Array.prototype.forEach.call(glanceEl.querySelectorAll("[data-country]"), function (g) {
      var hide = !!glanceCountry && g.getAttribute("data-country") !== glanceCountry;
      g.hidden = hide;
      if (!hide) { any = true; }
    });
    Array.prototype.forEach.call(glanceEl.querySelectorAll("[data-glance-all]"), function (g) {
      g.hidden = !!glanceCountry;
    });
    glanceEl.classList.toggle("glance-filtered", !!glanceCountry);
    glanceEl.setAttribute("data-filter", glanceCountry);
    glanceAny = any;
    renderGlanceFilter();
  }
  var glanceAny = true;
  function renderGlanceFilter() {
    if (!glanceEl) { return; }
    if (!glanceBar) {
      glanceBar = el("div", "glance-filter");
      glanceBar.id = "glance-filter";
      glanceBar.setAttribute("role", "status");
      var h = glanceEl.querySelector("h2");
      glanceEl.insertBefore(glanceBar, h ? h.nextSibling : glanceEl.firstChild);
    }
    glanceBar.textContent = "";
    glanceBar.hidden = !glanceCountry;
    if (!glanceCountry) { return; }
    var name = glanceCountry === UNKNOWN_COUNTRY ? t("unknown") : cname(glanceCountry) + " (" + glanceCountry + ")";
    put(glanceBar, el("strong", "", fmt("glance.filter_on", { country: name })), " ");
    var clear = el("button", "glance-clear", t("glance.filter_clear"));
    clear.type = "button";
    clear.addEventListener("click", function () { setCountry(""); });
    glanceBar.appendChild(clear);
    if (!glanceAny) { put(glanceBar, " ", el("span", "note", t("glance.filter_none"))); }
  }
  function setCountry(cc) {
    if (form) {
      sel.country.value = cc;
      if (sel.country.value !== cc) { sel.country.value = ""; }  // a country no finding has
      page = 0;
      applyFindings();
      writeFragment();
    }
    filterGlance(cc);
    if (bform) {
      bsel.country.value = cc;
      if (bsel.country.value !== cc) { bsel.country.value = ""; }
      bsel.text.value = "";
      single = null;
      applyBuckets();
    }
  }

  // the map's countries (nodes and the country table) filter the glance block and the table
  function pickCountry(e, node) {
    var cc = node.getAttribute("data-filter-country");
    if (!cc || cc === "??") { return; }
    e.preventDefault();
    setCountry(cc);
    if (glanceEl) { glanceEl.scrollIntoView(); }
  }
  var mapSvg = byId("map-svg");
  if (mapSvg) {
    // each country's node is a button (the unknown node is no country)
    Array.prototype.forEach.call(mapSvg.querySelectorAll(".node[data-cc]"), function (n) {
      var cc = n.getAttribute("data-cc");
      if (cc === "??") { return; }
      n.setAttribute("data-filter-country", cc);
      n.setAttribute("tabindex", "0");
      n.setAttribute("role", "button");
    });
    mapSvg.addEventListener("keydown", function (e) {
      var n = e.target.closest ? e.target.closest("[data-filter-country]") : null;
      if (n && (e.key === "Enter" || e.key === " ")) { pickCountry(e, n); }
    });
  }

  // links from the summary, the guideline view and the map set filters
  document.addEventListener("click", function (e) {
    var a = e.target.closest ? e.target.closest("a[data-filter-item], a[data-filter-severity], [data-filter-country]") : null;
    if (!a) { return; }
    if (a.hasAttribute("data-filter-country")) { pickCountry(e, a); return; }
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
    fillSelect(bsel.provider, all.concat(distinct(B.map(function (b) { return s(b.p); })).sort().map(function (p) { return [p, pname(p)]; })));
    var cs = {};
    bucketCountries.forEach(function (set) { Object.keys(set).forEach(function (c) { cs[c] = true; }); });
    fillSelect(bsel.country, all.concat(Object.keys(cs).sort().map(function (c) { return [c, cname(c) + " (" + c + ")"]; })));
  }

  function bucketText(b) {
    var parts = [b.n, b.u, s(b.p), s(b.sc)];
    (b.tags || []).forEach(function (kv) { parts.push(s(kv[0]), s(kv[1])); });
    (b.loc || []).forEach(function (l) {
      parts.push(s(l[2]), s(l[3]), mechanismName(s(l[3])), s(l[4]));
      l[8].forEach(function (c) { parts.push(c, cname(c)); });
    });
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

  function worstOf(j) {
    var worst = null;
    bucketFindings[j].forEach(function (i) {
      var f = F[i];
      if (!f.sup && (worst === null || RANK[f.sv] > RANK[worst])) { worst = f.sv; }
    });
    return worst;
  }

  // A card is closed until opened: its summary line says bucket, provider, scope, countries and
  // the worst severity; the rest is built on first opening (40 cards a page, 20,000 in all).
  function bucketCard(j, open) {
    var b = B[j];
    var card = el("details", "bucket");
    card.id = "b-" + j;
    var sum = el("summary");
    put(sum, el("strong", "bucket-name", b.n), " ", el("small", "", pname(s(b.p)) + " / " + s(b.sc)), " ");
    var cs = Object.keys(bucketCountries[j]).sort();
    var where = el("span", "bucket-countries");
    if (cs.length) {
      cs.forEach(function (c, k) {
        put(where, k ? "、" : "", cname(c));
        if (D.tiers[c]) { put(where, " ", el("span", "tier tier-" + D.tiers[c], t("tier." + D.tiers[c]))); }
      });
    } else {
      where.appendChild(unknownNode());
    }
    put(sum, where);
    var worst = worstOf(j);
    if (worst) { put(sum, " ", sevBadge(worst), " ", el("small", "", fmt("bucket.summary_findings", { n: bucketFindings[j].length }))); }
    card.appendChild(sum);
    var built = false;
    function build() {
      if (built) { return; }
      built = true;
      cardBody(card, j);
    }
    card.addEventListener("toggle", function () { if (card.open) { build(); } });
    if (open) { build(); card.open = true; }
    return card;
  }

  function cardBody(card, j) {
    var b = B[j];
    var dl = el("dl", "kv");
    kv(dl, "bucket.uid", code(b.u));
    var cls = kv(dl, "bucket.classification", t("classification." + (b.cl || "none")));
    if (b.cs !== undefined) { put(cls, " ", el("small", "", t("bucket.classification_source") + ": "), code(s(b.cs))); }
    var enc = b.enc || ["unknown"];
    var encDd = kv(dl, "bucket.encryption", t("encryption." + enc[0]));
    // details and evidence are [ja, en] texts in s (residency_audit/evidence.py), with marks
    // the details on a line of their own: they have parentheses of their own
    if (enc[2] !== undefined && enc[2] !== null) { put(encDd, el("br"), rich(el("span"), s(enc[2][li()]))); }
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
        } else if (l[12]) {
          put(ctd, t("country.none_left"));
        } else {
          ctd.appendChild(unknownNode());
        }
        var why = l[7] ? s(l[7][li()]) : l[11] ? s(l[11][li()]) : "";
        if (why) { put(ctd, el("br"), rich(el("small"), why)); }
        tr.appendChild(ctd);
        tr.appendChild(put(el("td"), el("span", "cert cert-" + l[5], t("certainty." + l[5]))));
        tr.appendChild(put(el("td"), mechanism(s(l[3]))));
        tr.appendChild(put(el("td"), l[4] !== undefined && l[4] !== null ? code(s(l[4])) : "—"));
        // the catalog source is in the appendix 判定根拠: the row shows its number
        var src = el("td", "small");
        if (l[10] !== undefined && l[10] !== null) {
          var ref = el("a", "basis-ref", "[" + l[10] + "]");
          ref.href = "#basis-" + l[10];
          src.appendChild(ref);
        } else {
          src.textContent = "—";
        }
        tr.appendChild(src);
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
        if (l === primary || l[12]) { return; }  // no edge left: no copy goes anywhere
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
        // the reason as [ja, en], with the API's error code and its words (quoted) in it
        var item = rich(put(el("li"), code(s(g[0])), ": "), s(g[1][li()]));
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
        put(item, el("br"), rich(el("span", "msg"), msg(f)), el("br"), rich(put(el("span", "rem"), el("strong", "", t("col.remediation") + ": ")), s(f.rm[li()])));
        fl.appendChild(item);
      });
      card.appendChild(fl);
    }
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
    // a card opened from a link is open; printed, the others are their summary line (print.css)
    for (var k = start; k < end; k += 1) { frag.appendChild(bucketCard(bfiltered[k], single !== null)); }
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
    renderFixes();
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
  warmHaystack();
}());
