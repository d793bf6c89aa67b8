/* kaigo-kb browser search. Works from file://: the index is a plain script
 * (search-index.js, window.KAIGO_INDEX) built by kb/site/browser_index.py with the same
 * Sudachi analyzer as the CLI. Query side: normalize as kb.normalize.search_text,
 * segment by longest match over the build's word forms, expand with the
 * thesaurus, rank with BM25. Results are built with DOM text nodes only. */
(function () {
  "use strict";
  var IX = window.KAIGO_INDEX;
  if (!IX) { return; }
  var U = IX.units, N = U.id.length, K1 = IX.bm25.k1, B = IX.bm25.b;
  // search-text.js: what a hit shows (kb/site/browser_index.py unit_texts); the ranking never needs it
  var TX = window.KAIGO_TEXT || {}, PAGE = window.kaigoPage;
  ["text", "q", "head", "date", "ref", "topic", "src"].forEach(function (k) { TX[k] = TX[k] || []; });
  var vocab = new Map(Object.entries(IX.vocab));
  var thes = new Map(Object.entries(IX.thes));
  var MAXLEN = 1;
  vocab.forEach(function (v, k) { if (k.length > MAXLEN) { MAXLEN = k.length; } });
  MAXLEN = Math.min(MAXLEN, 32);

  /* ---- normalization: mirrors kb.normalize.search_text ---------------------- */
  var DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u2500\u2501\ufe63]/g;
  var TILDES = /[\u301c\uff5e\u223c\u223e\u2053]/g;
  var TAG = /<\/?(?:p|u|b|i|br|span|div|td|tr|th|strong|em)\b[^>]*>/gi;
  var JA = "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\u2460-\u24ff\u2160-\u217f";
  var SP_LEFT = new RegExp("(?<=[" + JA + "])\\s+(?=[" + JA + "A-Za-z0-9(\uff08])", "g");
  var SP_RIGHT = new RegExp("(?<=[" + JA + "A-Za-z0-9)\uff09%])\\s+(?=[" + JA + "])", "g");
  function fold(s) {
    return s.replace(DASHES, "-").replace(TILDES, "~").normalize("NFKC").replace(DASHES, "-").replace(TILDES, "~");
  }
  function searchText(s) {
    s = fold(s.replace(TAG, " ").replace(/\*\*/g, ""));
    return s.replace(SP_LEFT, "").replace(SP_RIGHT, "").replace(/\s+/g, " ").trim();
  }
  // mirrors kb.normalize.query_text: typed spaces separate words
  function queryText(s) {
    return s.split(/\s+/).map(searchText).filter(function (p) { return p; }).join(" ");
  }

  /* ---- references: mirrors kb.refs.parse_reference ------------------------- */
  function parseReference(q) {
    var s = q.normalize("NFKC").replace(/\u3000/g, " ");
    var vol = /vol\.?\s*(\d{1,3})/i.exec(s), num = /(?:問|q\.?|no\.?)\s*(\d{1,4})/i.exec(s);
    var rest = s;
    [vol, num].forEach(function (m) { if (m) { rest = rest.replace(m[0], " "); } });
    rest = rest.replace(/令和\s*\d+\s*年度介護報酬改定に関する\s*q\s*&\s*a/gi, " ");
    if (vol || num) { rest = rest.replace(/\b(?:q\s*&\s*a|qa)\b|[()（）「」]/gi, " "); }
    var ser = /令和(\d+)年度介護報酬改定に関するq&a/i.exec(s.replace(/\s+/g, ""));
    return { series: ser ? "r" + (+ser[1]) + "-qa" : null, volume: vol ? +vol[1] : null, number: num ? +num[1] : null,
             rest: rest.replace(/\s+/g, " ").trim() };
  }

  /* ---- query groups: mirrors kb.search.Searcher.query_groups -------------- */
  var ONLY_KANA = /^[\u3040-\u309f\u30fc\s\p{P}\p{S}]*$/u;
  var PART = IX.partWeight;
  function keyForm(s) { return s.normalize("NFKC").toLowerCase().replace(/\s+/g, ""); }
  var KANJI = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  function startsWord(chunk, i) {
    for (var L = Math.min(MAXLEN, chunk.length - i); L >= 1; L--) { if (vocab.has(chunk.substr(i, L))) { return true; } }
    return false;
  }
  function words(q) {
    // longest match over the build's word forms; a run the vocabulary lacks
    // (Sudachi would split it unlike any indexed text) becomes one word whose
    // group holds the terms containing it
    var out = [];
    q.split(/\s+/).forEach(function (chunk) {
      var i = 0, unk = "", at = 0;
      function flush() {
        if (unk && !ONLY_KANA.test(unk)) {
          var g = new Map(), n = 0;
          for (var t = 0; t < IX.terms.length && n < 20 && unk.length > 1; t++) {
            if (IX.terms[t].indexOf(unk) >= 0) { g.set(t, PART); n++; }
          }
          out.push({ surface: unk, group: g, unknown: true });  // counts as a typed word, as in the CLI
        }
        unk = "";
      }
      while (i < chunk.length) {
        var hit = null;
        for (var L = Math.min(MAXLEN, chunk.length - i); L >= 1; L--) {
          if (vocab.has(chunk.substr(i, L))) { hit = chunk.substr(i, L); break; }
        }
        if (hit !== null && hit.length === 1 && KANJI.test(hit) && i + 1 < chunk.length && KANJI.test(chunk[i + 1]) &&
            !startsWord(chunk, i + 1)) {
          hit = null;  // 一 of 一緒: a lone kanji before an unknown kanji is part of an unknown word
        }
        if (hit === null) { unk += chunk[i]; i += 1; continue; }
        flush();
        var tid = vocab.get(hit), g = new Map([[tid, 1]]);
        (IX.parts[tid] || []).forEach(function (p) { if (IX.terms[p].length > 1 && !g.has(p)) { g.set(p, PART); } });
        out.push({ surface: hit, group: g });
        i += hit.length;
      }
      flush();
    });
    return out;
  }
  function queryGroups(q) {
    var ws = words(q), groups = ws.map(function (w) { return w.group; }), i = 0;
    function add(g, t, w) { if (w > (g.get(t) || 0)) { g.set(t, w); } }
    while (i < ws.length) {
      var found = 0;
      for (var j = Math.min(ws.length, i + 4); j > i; j--) {
        var key = keyForm(ws.slice(i, j).map(function (w) { return w.surface; }).join("")), exp = thes.get(key);
        if (exp) {
          for (var k = i + 1; k < j; k++) {  // a multi-word key is one typed word
            groups[k].forEach(function (w, t) { add(groups[i], t, w); });
            groups[k] = new Map();
            ws[k].unknown = false;
          }
          exp.forEach(function (tw) { add(groups[i], tw[0], tw[1]); });
          found = j;
          break;
        }
      }
      i = found || i + 1;
    }
    return { groups: groups.filter(function (g, k) { return g.size || ws[k].unknown; }),
             surfaces: ws.map(function (w) { return w.surface; }) };
  }

  /* ---- ranking: as the CLI's (Whoosh BM25F per typed word, coverage, kind) -- */
  var F = IX.fields.length, decoded = new Map(), COMMON = new Set(IX.common || []);
  function postings(f, t) {
    var key = f * IX.terms.length + t, p = decoded.get(key);
    if (p) { return p; }
    // gaps from -1; a negative gap is followed by its tf (kb/site/browser_index.py)
    var raw = IX.post[f][t], units = [], tfs = [], u = -1;
    for (var j = 0; j < raw.length; j++) {
      if (raw[j] > 0) { u += raw[j]; tfs.push(1); } else { u -= raw[j]; tfs.push(raw[++j]); }
      units.push(u);
    }
    p = { units: units, tfs: tfs, idf: Math.log(N / (units.length + 1)) + 1 };
    decoded.set(key, p);
    return p;
  }
  function passes(u, f) {
    if (!f) { return true; }
    // a kind (qa, paragraph …) or a category (Q&A, 事務連絡 …), as the CLI's --kind
    if (f.kind && IX.kinds[U.kind[u]] !== f.kind && IX.cats[U.cat[u]] !== f.kind) { return false; }
    if (f.volume && U.vol[u] !== +f.volume) { return false; }
    if (f.service) {
      var accept = IX.svcAccept[keyForm(f.service)] || [f.service];
      if (!U.svc[u].some(function (s) { return accept.indexOf(IX.services[s]) >= 0; })) { return false; }
    }
    return true;
  }
  function groupScores(g, strong) {
    // strong: units matching a term of weight >= strongWeight (the typed word itself).
    // As kb.search: a typed word scores through its best form, the others adding
    // groupTiebreak of theirs, so parts do not outvote the whole word.
    var best = new Map(), total = new Map();
    g.forEach(function (w, t) {
      if (w < 1 && COMMON.has(t)) { return; }  // as kb.search: a common part adds cost, not order
      if (strong && w >= IX.strongWeight) {
        for (var sf = 0; sf < F; sf++) { postings(sf, t).units.forEach(function (u) { strong.add(u); }); }
      }
      var tm = new Map();
      for (var f = 0; f < F; f++) {
        var p = postings(f, t), boost = w * IX.boosts[f], avg = IX.avgLen[f];
        for (var j = 0; j < p.units.length; j++) {
          var u = p.units[j], tf = p.tfs[j], fl = IX.len[f][u];
          tm.set(u, (tm.get(u) || 0) + boost * p.idf * tf * (K1 + 1) / (tf + K1 * ((1 - B) + B * fl / avg)));
        }
      }
      tm.forEach(function (v, u) {
        total.set(u, (total.get(u) || 0) + v);
        if (v > (best.get(u) || 0)) { best.set(u, v); }
      });
    });
    var out = new Map();
    best.forEach(function (b, u) { out.set(u, b + IX.groupTiebreak * (total.get(u) - b)); });
    return out;
  }
  function run(query, limit, filters) {
    limit = limit || 10;
    var ref = parseReference(query), isRef = ref.volume !== null || ref.number !== null;
    var hits = [], seen = new Set();
    if (isRef) {
      for (var u = 0; u < N; u++) {
        if (IX.kinds[U.kind[u]] === "qa" && (ref.series === null || IX.series[U.ser[u]] === ref.series) &&
            (ref.volume === null || U.vol[u] === ref.volume) && (ref.number === null || U.num[u] === ref.number) &&
            passes(u, filters)) {
          hits.push([1000, u]); seen.add(u);
        }
      }
      hits.sort(function (a, b) {
        return (U.ser[a[1]] - U.ser[b[1]]) || (U.vol[a[1]] - U.vol[b[1]]) || (U.num[a[1]] - U.num[b[1]]) || (U.id[a[1]] < U.id[b[1]] ? -1 : 1);
      });
    }
    var rest = isRef ? ref.rest : query;
    if (isRef && !rest && hits.length) {
      // a bare reference: follow it with what else is said on that topic (as the CLI)
      var first = hits[0][1], crumbs = U.crumb[first] ? U.crumb[first].split(" > ") : [];
      rest = crumbs.length ? crumbs[crumbs.length - 1] : U.title[first];
    }
    var qg = queryGroups(queryText(rest).toLowerCase()), n = qg.groups.length;
    var per = new Map();
    qg.groups.forEach(function (g) {
      var strong = new Set();
      groupScores(g, strong).forEach(function (v, u) {
        if (!passes(u, filters)) { return; }
        var a = per.get(u);
        if (!a) { a = [0, 0]; per.set(u, a); }
        // how well the word matched: 1 through the word itself, less through a part or broader term
        a[0] += v; a[1] += strong.has(u) ? 1 : IX.weakMatch;
      });
    });
    var prelim = [];
    per.forEach(function (a, u) { prelim.push([a[0] * (0.2 + 0.8 * Math.pow(a[1] / n, 2)), u]); });
    prelim.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    var ranked = prelim.slice(0, 3 * (limit + seen.size) + 10).filter(function (x) { return !seen.has(x[1]); })
      .map(function (x) { return [x[0] * (IX.kindWeight[IX.kinds[U.kind[x[1]]]] || 1), x[1]]; });
    ranked.sort(function (a, b) { return b[0] - a[0] || (U.id[a[1]] < U.id[b[1]] ? -1 : U.id[a[1]] > U.id[b[1]] ? 1 : 0); });
    hits = hits.concat(ranked.slice(0, limit)).slice(0, limit);
    var needles = qg.surfaces.slice();
    qg.groups.forEach(function (g) { g.forEach(function (w, t) { needles.push(IX.terms[t]); }); });
    needles = needles.filter(function (x, j) { return x && !(x.length < 3 && ONLY_KANA.test(x)) && needles.indexOf(x) === j; });
    return { hits: hits, needles: needles, exact: seen, isRef: isRef, ref: ref };
  }

  /* ---- how a hit is shown: mirrors kb/search/present.py ---------------------- */
  var BREAK = "。、，,．）)」』】！？!?；;：: \n";
  var HEADLINE_CHARS = 70, ANSWER_CHARS = 200, CONTEXT_CHARS = 120;
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
    meta.appendChild(el("span", "hit-flags"));  // 削除/修正 marks (the workbook issue) go here
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
    if (body.textContent !== a.textContent) { li.appendChild(body); }
    if (TX.src[u]) { li.appendChild(el("p", "hit-source", TX.src[u])); }
    return li;
  }
  function describeFilters(f) {
    var names = { kind: "種類", volume: "巻", service: "サービス" }, out = [];
    Object.keys(names).forEach(function (k) { if (f[k]) { out.push(names[k] + ": " + (k === "volume" ? "Vol." : "") + f[k]); } });
    return out.join("、");
  }
  function noHits(box, q, f, res, clear) {
    while (box.firstChild) { box.removeChild(box.firstChild); }
    box.appendChild(el("p", "", "「" + q + "」に一致する結果はありません。"));
    var tips = el("ul");
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

  /* ---- API for tests and the page ---------------------------------------------- */
  window.kaigoQueryGroups = function (query) {  // for tests: compare with kb.search query_groups
    return queryGroups(queryText(query).toLowerCase()).groups.map(function (g) {
      var o = {};
      g.forEach(function (w, t) { o[IX.terms[t]] = w; });
      return o;
    });
  };
  window.kaigoPresent = { shorten: shorten, window: textWindow };  // for tests: compare with kb.search.present
  window.kaigoSearch = function (query, limit, filters) {
    return run(query, limit, filters).hits.map(function (h) {
      var u = h[1], q = TX.q[u];
      return { id: U.id[u], kind: IX.kinds[U.kind[u]], category: IX.cats[U.cat[u]], title: U.title[u],
               text: q ? "問 " + q + "\n答 " + TX.text[u] : TX.text[u], score: h[0] };
    });
  };

  var box = document.getElementById("q");
  if (!box) { return; }
  var form = document.getElementById("search-form"), list = document.getElementById("results");
  var status = document.getElementById("status"), none = document.getElementById("no-hits");
  var printed = document.getElementById("print-query");
  var FILTERS = ["kind", "volume", "service"];

  /* state: the query and filters, kept in the URL (?q=…&kind=…) so back/forward and
   * bookmarks restore them; typing replaces the entry it started, a filter change or
   * Enter adds one */
  function current() {
    var st = { q: box.value.trim() };
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
