/* kaigo-kb browser search. Works from file://: the index is a plain script
 * (search-index.js, window.KAIGO_INDEX) built by kb/site/browser_index.py with the same
 * Sudachi analyzer as the CLI. Query side: normalize as kb.normalize.search_text,
 * segment by longest match over the build's word forms, expand with the
 * thesaurus, rank with BM25. The result list is static/results.js. */
(function () {
  "use strict";
  var IX = window.KAIGO_INDEX;
  if (!IX || !window.kaigoPage) { return; }
  var U = IX.units, N = U.id.length, K1 = IX.bm25.k1, B = IX.bm25.b;
  // search-text.js: what a hit shows (kb/site/browser_index.py unit_texts); the ranking never needs it
  var TX = window.KAIGO_TEXT || {};
  ["text", "q", "head", "date", "ref", "topic", "src"].forEach(function (k) { TX[k] = TX[k] || []; });
  var vocab = new Map(Object.entries(IX.vocab));
  var thes = new Map(Object.entries(IX.thes));
  var MAXLEN = 1;
  vocab.forEach(function (v, k) { if (k.length > MAXLEN) { MAXLEN = k.length; } });
  MAXLEN = Math.min(MAXLEN, 32);

  /* ---- the input boundary: mirrors kb.search.searcher.clean_query ----------- */
  var MAX_QUERY = IX.maxQuery, SPACE_CONTROLS = /[\t\n\v\f\r\x1c-\x1f\x85]/g;
  var DROPPED = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}]/gu;  // control, format, lone surrogate, private use
  function cleanQuery(q) {
    var s = String(q).replace(SPACE_CONTROLS, " ").replace(DROPPED, "");
    // MAX_QUERY characters as Python counts them (code points, not UTF-16 units): a pasted page
    // costs no more than that; 2 * MAX_QUERY units always hold MAX_QUERY whole code points
    if (s.length > MAX_QUERY) { s = Array.from(s.slice(0, 2 * MAX_QUERY)).slice(0, MAX_QUERY).join(""); }
    return s.trim();
  }

  /* ---- normalization: mirrors kb.normalize.search_text ---------------------- */
  var TAG = /<\/?(?:p|u|b|i|br|span|div|td|tr|th|strong|em)\b[^>]*>/gi;
  var JA = "\u3000-\u303f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\u2460-\u24ff\u2160-\u217f";
  var SP_LEFT = new RegExp("(?<=[" + JA + "])\\s+(?=[" + JA + "A-Za-z0-9(\uff08])", "g");
  var SP_RIGHT = new RegExp("(?<=[" + JA + "A-Za-z0-9)\uff09%])\\s+(?=[" + JA + "])", "g");
  var fold = window.kaigoPage.fold;  // static/page.js: NFKC with dashes and tildes folded (kb.normalize.fold)
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
  var HIRAGANA = /^[\u3041-\u309f]+$/;
  var KATAKANA = /[\u30a1-\u30fa\u30fc]/;
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
        if (hit !== null && hit.length === 1 && KATAKANA.test(hit) &&
            (KATAKANA.test(chunk[i - 1] || "") || KATAKANA.test(chunk[i + 1] || ""))) {
          hit = null;  // ロ of ズンドコベロンチョ: Sudachi reads a katakana run as one word, never letter by letter
        }
        if (hit === null) { unk += chunk[i]; i += 1; continue; }
        flush();
        if (hit.length <= 2 && HIRAGANA.test(hit) && hit.length < chunk.length) {
          i += hit.length;  // で, が, して …: where Sudachi reads a particle or an ending, the CLI drops it
          continue;
        }
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
    var read = ws.map(function (w) { return { surface: w.surface, key: "" }; });  // as typed, for the reading line
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
          read[i] = { surface: ws.slice(i, j).map(function (w) { return w.surface; }).join(""), key: key };
          found = j;
          break;
        }
      }
      i = found || i + 1;
    }
    var kept = groups.map(function (g, k) { return g.size || ws[k].unknown; });
    return { groups: groups.filter(function (g, k) { return kept[k]; }),
             words: read.filter(function (r, k) { return kept[k]; }),
             surfaces: ws.map(function (w) { return w.surface; }) };
  }

  /* ---- ranking: as the CLI's (Whoosh BM25F per typed word, coverage, kind) -- */
  var F = IX.fields.length, decoded = new Map(), COMMON = new Set(IX.common || []);
  function held(f, t) { return IX.post[f].ends[t] > (t ? IX.post[f].ends[t - 1] : 0); }
  function postings(f, t) {
    var key = f * IX.terms.length + t, p = decoded.get(key);
    if (p) { return p; }
    // the term's bytes of the field's base64 (kb/site/browser_index.py _field_postings), only those
    // decoded: 3 bytes are 4 characters. Each posting: the varint of 2 * gap (from -1), plus 1 and
    // followed by the tf's varint when the tf is not 1.
    var start = t ? IX.post[f].ends[t - 1] : 0, end = IX.post[f].ends[t], from = Math.floor(start / 3);
    var b = atob(IX.post[f].data.slice(4 * from, 4 * Math.ceil(end / 3)));
    var j = start - 3 * from, stop = end - 3 * from, units = [], tfs = [], u = -1;
    function varint() {
      var x = 0, scale = 1, c;
      do { c = b.charCodeAt(j++); x += (c & 127) * scale; scale *= 128; } while (c & 128);
      return x;
    }
    while (j < stop) {
      var head = varint(), many = head % 2;
      u += (head - many) / 2;
      units.push(u);
      tfs.push(many ? varint() : 1);
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
    if (f.standard && (U.std[u] < 0 || IX.standards[U.std[u]] !== f.standard)) { return false; }
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
    query = cleanQuery(query);
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
    var rule = namedRule(rest, filters, seen);  // as kb.search.Searcher._named_rule
    if (rule >= 0) { hits.push([1000, rule]); seen.add(rule); }
    var qg = queryGroups(queryText(rest).toLowerCase()), n = qg.groups.length;
    // Q&As weigh more for a question (「…できるか」) or a rule's name, as in the CLI
    var asked = QUESTION.test(queryText(query)) || rule >= 0, kindW = asked ? IX.kindWeight : IX.keywordKindWeight;
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
      .map(function (x) {
        return [x[0] * (kindW[IX.kinds[U.kind[x[1]]]] || 1) * (IX.statusWeight[U.st[x[1]]] || 1), x[1]];
      });
    ranked.sort(function (a, b) { return b[0] - a[0] || (U.id[a[1]] < U.id[b[1]] ? -1 : U.id[a[1]] > U.id[b[1]] ? 1 : 0); });
    // as kb.search.Searcher._collapse: a question answered again is one hit, the newest answer
    var taken = new Set(seen), collapsed = [];
    ranked.forEach(function (x) {
      var lead = U.grp[x[1]] >= 0 ? U.grp[x[1]] : x[1];
      if (!taken.has(lead)) { taken.add(lead); collapsed.push([x[0], lead]); }
    });
    hits = hits.concat(collapsed.slice(0, limit)).slice(0, limit);
    var needles = qg.surfaces.slice();
    qg.groups.forEach(function (g) { g.forEach(function (w, t) { needles.push(IX.terms[t]); }); });
    needles = needles.filter(function (x, j) { return x && !(x.length < 3 && ONLY_KANA.test(x)) && needles.indexOf(x) === j; });
    var typed = isRef && !ref.rest ? [] : originalCase(queryText(rest), qg.words);
    return { hits: hits, needles: needles, exact: seen, isRef: isRef, ref: ref, rule: rule,
             reading: reading(isRef ? ref : null, typed), unmatched: hits.length ? [] : unmatched(qg) };
  }
  function suggestions(words) {
    // as kb.search.Searcher._help: vocabulary terms holding (or held in) an unmatched word, commonest first
    var out = [];
    words.forEach(function (w) {
      var low = w.toLowerCase(), near = [];
      for (var t = 0; t < IX.terms.length; t++) {
        var term = IX.terms[t];
        if (term.length > 1 && term !== low && (term.indexOf(low) >= 0 || low.indexOf(term) >= 0)) {
          var df = 0;
          for (var f = 0; f < F; f++) { if (held(f, t)) { df += postings(f, t).units.length; } }
          if (df) { near.push([df, term]); }
        }
      }
      near.sort(function (a, b) { return b[0] - a[0] || (a[1] < b[1] ? -1 : 1); });
      near.slice(0, 3).forEach(function (x) { if (out.indexOf(x[1]) < 0) { out.push(x[1]); } });
    });
    return out;
  }

  /* ---- a rule named, how the query was read, what matched nothing --------------- */
  var QUESTION = new RegExp(IX.question);
  function namedRule(text, filters, seen) {
    var chunks = text.split(/\s+/).filter(function (c) { return c; }), named = [], rest = [];
    chunks.forEach(function (c) { (keyForm(c) in IX.ruleNames ? named : rest).push(c); });
    if (keyForm(text) in IX.ruleNames) { named = [text]; rest = []; }
    var services = rest.filter(function (c) { return keyForm(c) in IX.svcAccept; });
    if (named.length !== 1 || services.length > 1 ||
        rest.some(function (c) { return services.indexOf(c) < 0 && IX.ruleAsks.indexOf(keyForm(c)) < 0; })) { return -1; }
    var u = IX.ruleNames[keyForm(named[0])];
    return u !== undefined && !seen.has(u) && passes(u, filters) ? u : -1;
  }
  function originalCase(typed, words) {
    // the words were found in the lower-cased query: show them as typed (SS, not ss)
    var low = typed.toLowerCase(), at = 0;
    return words.map(function (w) {
      var i = low.indexOf(w.surface, at);
      if (i < 0) { return w; }
      at = i + w.surface.length;
      return { surface: typed.slice(i, at), key: w.key };
    });
  }
  function reading(ref, words) {
    // mirrors kb.search.Result.reading_line: 「SS → 短期入所生活介護・居宅サービス ／ 算定」
    var parts = ref ? [(ref.volume !== null ? "Vol." + ref.volume : "") + (ref.volume !== null && ref.number !== null ? " " : "") +
                       (ref.number !== null ? "問" + ref.number : "") + "（参照）"] : [];
    words.forEach(function (w) {
      var exp = IX.thesShow[w.key] || [];
      parts.push(exp.length ? w.surface + " → " + exp.slice(0, 3).join("・") + (exp.length > 3 ? "…" : "") : w.surface);
    });
    return parts.join(" ／ ");
  }
  function unmatched(qg) {
    return qg.words.filter(function (w, k) {
      var g = qg.groups[k];
      return !g || !Array.from(g.keys()).some(function (t) {
        for (var f = 0; f < F; f++) { if (held(f, t)) { return true; } }
        return false;
      });
    }).map(function (w) { return w.surface; });
  }

  /* ---- API: for tests, and for static/results.js (the result list) ------------------ */
  window.kaigoQueryGroups = function (query) {  // for tests: compare with kb.search query_groups
    return queryGroups(queryText(query).toLowerCase()).groups.map(function (g) {
      var o = {};
      g.forEach(function (w, t) { o[IX.terms[t]] = w; });
      return o;
    });
  };
  window.kaigoCleanQuery = cleanQuery;  // for tests: compare with kb.search clean_query
  window.kaigoSearch = function (query, limit, filters) {
    return run(query, limit, filters).hits.map(function (h) {
      var u = h[1], q = TX.q[u];
      return { id: U.id[u], kind: IX.kinds[U.kind[u]], category: IX.cats[U.cat[u]], title: U.title[u],
               text: q ? "問 " + q + "\n答 " + TX.text[u] : TX.text[u], score: h[0] };
    });
  };

  window.kaigoEngine = { run: run, index: IX, text: TX, suggestions: suggestions, clean: cleanQuery };
})();
