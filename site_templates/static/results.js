/* kaigo-kb result list on the home page: what static/search.js ranks, shown as
 * kb/search/present.py shows it (badge, reference, date as printed, question as title,
 * answer first), built with DOM text nodes only. Query and filters live in the URL; the
 * keyboard (↓ ↑ Esc) moves through the results; a Japanese IME's half-typed reading is
 * never searched. Needs static/page.js (text matching) and static/search.js (the engine). */
(function () {
  "use strict";
  var ENGINE = window.kaigoEngine, PAGE = window.kaigoPage;
  if (!ENGINE || !PAGE) { return; }
  var IX = ENGINE.index, U = IX.units, TX = ENGINE.text, run = ENGINE.run, clean = ENGINE.clean;

  /* ---- how a hit is shown: mirrors kb/search/present.py ---------------------- */
  var BREAK = "。、，,．）)」』】！？!?；;：: \n";
  var HEADLINE_CHARS = 70, ANSWER_CHARS = 200;
  function lastBreak(text, from, to) {
    for (var i = to - 1; i >= from; i--) { if (BREAK.indexOf(text[i]) >= 0) { return i; } }
    return -1;
  }
  function shorten(text, limit) {
    var flat = text.replace(/\s+/g, " ").trim();
    if (flat.length <= limit) { return flat; }
    var cut = lastBreak(flat, 0, limit), end = cut >= Math.floor(limit / 2) ? cut + 1 : limit;
    return flat.slice(0, end).trimEnd() + "…";
  }
  function textWindow(text, first, width) {
    var start = 0;
    if (first !== null && first >= 0 && first + 20 > width * 0.7) {
      start = Math.max(0, first - 40);
      var sentence = Math.max(text.lastIndexOf("。", first - 1), text.lastIndexOf("\n", first - 1));
      if (sentence >= 0 && first - sentence <= 60) { start = sentence + 1; }
      else if (start > 0) {
        var pause = Math.max.apply(null, ["、", "，", ",", " "].map(function (ch) { return text.lastIndexOf(ch, start + 19); }));
        if (pause >= start - 20) { start = pause + 1; }
      }
    }
    var end = Math.min(text.length, start + width);
    if (end < text.length) {
      var cut = lastBreak(text, start, end);
      if (cut >= start + Math.floor(width / 2) && (first === null || cut >= first)) { end = cut + 1; }
    }
    return [start, end];
  }
  function snippet(el, text, needles, width) {
    // the part of text around its first match (the beginning when none), words marked
    var rs = PAGE.ranges(text, needles), w = textWindow(text, rs.length ? rs[0][0] : null, width);
    if (w[0] > 0) { el.appendChild(document.createTextNode("…")); }
    PAGE.appendMarked(el, text, rs, w[0], w[1]);
    if (w[1] < text.length) { el.appendChild(document.createTextNode("…")); }
  }

  /* ---- amounts in force, earlier rulings: as kb.search.searcher._in_force / _collapse --- */
  function inForce(amounts, iso) {
    var by = new Map();
    amounts.forEach(function (a) {  // [level, condition, value, unit, per, from, until, services]
      if ((a[5] && a[5] > iso) || (a[6] && iso > a[6])) { return; }
      var key = a[7].join("\u0001"), text = a[0] + (a[1] ? "（" + a[1] + "）" : "") + " " + a[2] + a[3] + (a[4] ? "/" + a[4] : "");
      if (!by.has(key)) { by.set(key, { who: a[7], items: [] }); }
      by.get(key).items.push(text);
    });
    var parts = [];
    by.forEach(function (v) {
      parts.push(v.who.slice(0, 2).join("・") + (v.who.length > 2 ? "ほか" : "") + ": " + v.items.join("、"));
    });
    return "現在（" + PAGE.wareki(iso) + "）: " + (parts.join("；") || "（この日に適用される単位数の記載なし）");
  }
  var EARLIER = new Map(Object.entries(IX.earlier || {}).map(function (kv) { return [+kv[0], kv[1]]; }));

  /* ---- rendering (text nodes only) --------------------------------------------- */
  function safeHref(h) { return /^[a-z][a-z0-9+.-]*:/i.test(h) ? "#" : h; }
  function withHighlight(href, needles) {
    // the page a hit opens marks the searched words (static/page.js reads ?hl=)
    var words = needles.filter(function (w) { return w.length >= 2; }).slice(0, 12);
    if (!words.length) { return href; }
    var i = href.indexOf("#"), path = i < 0 ? href : href.slice(0, i), frag = i < 0 ? "" : href.slice(i);
    return path + "?hl=" + encodeURIComponent(words.join(" ")) + frag;
  }
  function el(tag, cls, text) {
    var d = document.createElement(tag);
    if (cls) { d.className = cls; }
    if (text) { d.textContent = text; }
    return d;
  }
  function catClass(cat) { return cat === "Q&A" ? "qa" : cat === "加算・基準" ? "rule" : "doc"; }
  function hitItem(u, res) {
    var li = el("li", "hit"), cat = IX.cats[U.cat[u]], exact = res.exact.has(u);
    li.setAttribute("data-id", U.id[u]);
    li.setAttribute("data-kind", IX.kinds[U.kind[u]]);
    li.setAttribute("data-category", cat);
    if (exact) { li.classList.add("exact"); }
    var meta = el("div", "hit-meta");
    meta.appendChild(el("span", "badge cat-" + catClass(cat), cat));
    if (exact) { meta.appendChild(el("span", "badge exact-badge", "該当")); }
    [["hit-ref", TX.ref[u]], ["hit-date", TX.date[u]], ["hit-topic", TX.topic[u]]].forEach(function (x) {
      if (x[1]) { meta.appendChild(el("span", x[0], x[1])); }
    });
    var flags = meta.appendChild(el("span", "hit-flags"));
    if (U.st[u]) {  // a newer ruling deleted or corrected this one (ranked below it)
      flags.appendChild(el("span", "badge status-" + (U.st[u] === "削除" ? "deleted" : "corrected"), U.st[u]));
    }
    li.appendChild(meta);
    var a = el("a", "hit-title", shorten(TX.head[u] || U.title[u] || U.id[u], HEADLINE_CHARS));
    if (IX.kinds[U.kind[u]] === "qa" && TX.q[u]) { a.textContent = shorten(TX.q[u], HEADLINE_CHARS); }
    a.setAttribute("href", safeHref(withHighlight(U.href[u], res.needles)));
    li.appendChild(a);
    var body = el("p", "hit-snippet");
    if (IX.kinds[U.kind[u]] === "qa") {
      body.classList.add("hit-answer");
      body.appendChild(el("span", "label", "答"));
      snippet(body, TX.text[u], res.needles, ANSWER_CHARS);
    } else {
      snippet(body, TX.text[u], res.needles, ANSWER_CHARS);
    }
    if (IX.kinds[U.kind[u]] === "rule" && IX.amounts[u]) {  // as the CLI: the amounts in force today
      li.appendChild(el("p", "hit-in-force", inForce(IX.amounts[u], PAGE.today())));
    }
    if (body.textContent !== a.textContent) { li.appendChild(body); }
    var older = EARLIER.get(u);
    if (older) {  // the same question answered before: listed under the newest answer
      var ul = el("ul", "hit-earlier");
      older.forEach(function (o) {
        var item = el("li", "", "以前の回答: "), link = el("a", "", U.cite[o] || U.title[o]);
        link.setAttribute("href", safeHref(U.href[o]));
        item.appendChild(link);
        if (TX.date[o]) { item.appendChild(document.createTextNode("（" + TX.date[o] + "）")); }
        ul.appendChild(item);
      });
      li.appendChild(ul);
    }
    if (TX.src[u]) { li.appendChild(el("p", "hit-source", TX.src[u])); }
    return li;
  }
  function describeFilters(f) {
    var names = { kind: "種類", volume: "巻", service: "サービス", standard: "基準種別" }, out = [];
    Object.keys(names).forEach(function (k) { if (f[k]) { out.push(names[k] + ": " + (k === "volume" ? "Vol." : "") + f[k]); } });
    return out.join("、");
  }
  function noHits(box, q, f, res, clear) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(el("p", "", "「" + q + "」に一致する結果はありません。"));
    var tips = el("ul");
    if (res.unmatched && res.unmatched.length) {  // as the CLI: the words nothing contains, and close ones
      var near = ENGINE.suggestions(res.unmatched), u = el("li");
      u.appendChild(document.createTextNode(res.unmatched.map(function (w) { return "「" + w + "」"; }).join("") +
        " はどの資料にもありません。" + (near.length ? "近い語: " + near.join("、") : "")));
      tips.appendChild(u);
    }
    if (describeFilters(f)) {
      var without = run(q, 50, {}).hits.length, li = el("li");
      li.appendChild(document.createTextNode("絞り込み（" + describeFilters(f) + "）" +
        (without ? "を外すと " + without + " 件見つかります。" : "を外しても見つかりません。")));
      if (without) {
        var b = el("button", "clear-filters", "絞り込みを解除");
        b.type = "button";
        b.addEventListener("click", clear);
        li.appendChild(b);
      }
      tips.appendChild(li);
    }
    if (res.isRef && res.ref.volume !== null) {
      var r = el("li");
      r.appendChild(document.createTextNode("Vol." + res.ref.volume + (res.ref.number !== null ? " 問" + res.ref.number : "") +
        " はこのサイトに収録されていません。収録されている巻と問: "));
      var v = el("a", "", "Q&A 各巻");
      v.href = "volumes.html";
      r.appendChild(v);
      tips.appendChild(r);
    }
    var t = el("li");
    t.appendChild(document.createTextNode("語を減らすか、別の言い方を試してください。略称も使えます（特養、ショートステイ、GH、デイ …）: "));
    var g = el("a", "", "用語集");
    g.href = "glossary.html";
    t.appendChild(g);
    tips.appendChild(t);
    box.appendChild(tips);
  }


  window.kaigoPresent = { shorten: shorten, window: textWindow };  // for tests: compare with kb.search.present

  var box = document.getElementById("q");
  if (!box) { return; }
  var form = document.getElementById("search-form"), list = document.getElementById("results");
  var status = document.getElementById("status"), none = document.getElementById("no-hits");
  var printed = document.getElementById("print-query");
  var FILTERS = ["kind", "volume", "service", "standard"];

  /* state: the query and filters, kept in the URL (?q=…&kind=…) so back/forward and
   * bookmarks restore them; typing replaces the entry it started, a filter change or
   * Enter adds one */
  function current() {
    var st = { q: clean(box.value) };  // the engine's input boundary: a pasted page is cut, controls go
    FILTERS.forEach(function (k) { var e = document.getElementById("f-" + k); st[k] = e ? e.value : ""; });
    return st;
  }
  function encode(st) {
    return ["q"].concat(FILTERS).filter(function (k) { return st[k]; })
      .map(function (k) { return k + "=" + encodeURIComponent(st[k]); }).join("&");
  }
  function fromUrl() {
    var st = { q: "" };
    FILTERS.forEach(function (k) { st[k] = ""; });
    [location.search, location.hash].forEach(function (part) {  // #q= (what older links hold) wins
      part.replace(/^[?#]/, "").split("&").forEach(function (kv) {
        var i = kv.indexOf("="), k = kv.slice(0, i);
        if (i > 0 && k in st) {
          try { st[k] = decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " ")); } catch (e) { /* keep "" */ }
        }
      });
    });
    return st;
  }
  function apply(st) {
    box.value = st.q;
    FILTERS.forEach(function (k) {
      var e = document.getElementById("f-" + k);
      if (e) { e.value = st[k]; if (e.value !== st[k]) { e.value = ""; } }
    });
  }
  var entryOpen = false;  // the history entry typing writes to
  function remember(push) {
    var st = current(), qs = encode(st), url = location.pathname + (qs ? "?" + qs : "");
    if (("?" + qs) === location.search || (!qs && !location.search && !location.hash)) { return; }
    try {
      history[push ? "pushState" : "replaceState"](st, "", url);
    } catch (e) {  // a browser that refuses query changes on file://: the fragment then
      try { history[push ? "pushState" : "replaceState"](st, "", "#" + qs); } catch (e2) { /* no history */ }
    }
  }

  var shown = null;  // the state on screen: leaving the box (a `change`) must not redraw it
  function render(force) {
    var st = current(), key = encode(st);
    if (key === shown && !force) { return; }
    shown = key;
    document.body.classList.toggle("searching", st.q.length > 0);
    while (list.firstChild) { list.removeChild(list.firstChild); }
    none.hidden = true;
    printed.textContent = st.q ? "検索: " + st.q + (describeFilters(st) ? "（" + describeFilters(st) + "）" : "") : "";
    if (!st.q) { status.textContent = ""; return; }
    var res = run(st.q, 50, st), sep = false;
    var readingLine = document.getElementById("query-reading");
    if (readingLine) {  // how the query was read, in one line (as the CLI prints it)
      readingLine.textContent = res.reading ? "読み取り: " + res.reading : "";
      readingLine.hidden = !res.reading;
    }
    res.hits.forEach(function (h) {
      if (!sep && res.exact.size && !res.exact.has(h[1])) {
        sep = true;
        list.appendChild(el("li", "hit-sep", "関連する結果"));
      }
      list.appendChild(hitItem(h[1], res));
    });
    var n = res.hits.length;
    status.textContent = n ? (n >= 50 ? "上位 " : "") + n + " 件" + (res.exact.size ? "（うち該当 " + res.exact.size + " 件）" : "") : "該当なし";
    if (!n) {
      none.hidden = false;
      noHits(none, st.q, st, res, function () {
        FILTERS.forEach(function (k) { var e = document.getElementById("f-" + k); if (e) { e.value = ""; } });
        render(); remember(true); entryOpen = false;
      });
    }
  }

  var composing = false;  // Japanese IME: no search on a half-typed reading (とくよう → 特養)
  box.addEventListener("compositionstart", function () { composing = true; });
  box.addEventListener("compositionend", function () { composing = false; render(); remember(!entryOpen); entryOpen = true; });
  box.addEventListener("input", function (e) {
    if (composing || e.isComposing) { return; }
    render();
    remember(!entryOpen);
    entryOpen = true;
  });
  Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
    s.addEventListener("change", function () { render(); remember(true); entryOpen = false; });
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); render(); remember(!entryOpen); entryOpen = false; });
  window.addEventListener("popstate", function () { apply(fromUrl()); render(); entryOpen = false; });

  /* keys: ↓ from the box to the results, ↑/↓ between them, Enter opens (a link), Esc back */
  function links() { return Array.prototype.slice.call(list.querySelectorAll("a.hit-title")); }
  box.addEventListener("keydown", function (e) {
    if (e.isComposing || composing || e.key !== "ArrowDown") { return; }
    var first = links()[0];
    if (first) { e.preventDefault(); entryOpen = false; first.focus(); }
  });
  list.addEventListener("keydown", function (e) {
    var all = links(), i = all.indexOf(document.activeElement);
    if (i < 0) { return; }
    if (e.key === "ArrowDown" && i + 1 < all.length) { e.preventDefault(); all[i + 1].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); (i > 0 ? all[i - 1] : box).focus(); }
    else if (e.key === "Escape") { e.preventDefault(); box.focus(); }
  });
  list.addEventListener("focusin", function (e) {
    if (e.target.scrollIntoView) { e.target.scrollIntoView({ block: "nearest" }); }
  });

  apply(fromUrl());
  if (box.value) { render(); }
})();
