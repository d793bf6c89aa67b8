/* Every page: copy buttons, the "/" key, highlighting the searched words (?hl=),
 * and the "as of a date" view of rule and service pages. Works from file://.
 * window.kaigoPage holds what static/search.js shares (text matching, 和暦). */
(function () {
  "use strict";

  /* ---- matching words in text as printed --------------------------------------
   * Needles are in search form (NFKC, lower case, no spaces: kb.normalize.search_text);
   * the text keeps its printed characters ((Ⅱ), full-width digits, PDF spaces). Each
   * printed character is folded alone and mapped back, so a match marks the original. */
  var DASHES = /[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u2500\u2501\ufe63]/g;
  var TILDES = /[\u301c\uff5e\u223c\u223e\u2053]/g;
  function fold(s) {
    return s.replace(DASHES, "-").replace(TILDES, "~").normalize("NFKC").replace(DASHES, "-").replace(TILDES, "~");
  }
  function folded(text) {  // { s: folded text without spaces, at: index in text of each char of s }
    var s = "", at = [];
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (/\s/.test(ch)) { continue; }
      var f = fold(ch).toLowerCase();
      for (var k = 0; k < f.length; k++) { s += f[k]; at.push(i); }
    }
    return { s: s, at: at };
  }
  function ranges(text, needles) {
    // [start, end) ranges of text matching any needle, merged, in order
    var f = folded(text), rs = [];
    needles.forEach(function (n) {
      n = n.replace(/\s+/g, "");
      if (!n) { return; }
      for (var p = f.s.indexOf(n); p >= 0 && rs.length < 300; p = f.s.indexOf(n, p + n.length)) {
        rs.push([f.at[p], f.at[p + n.length - 1] + 1]);
      }
    });
    rs.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var out = [];
    rs.forEach(function (r) {
      if (out.length && r[0] <= out[out.length - 1][1]) { out[out.length - 1][1] = Math.max(out[out.length - 1][1], r[1]); }
      else { out.push(r); }
    });
    return out;
  }
  function appendMarked(el, text, rs, from, to) {
    // text[from:to] into el as text nodes, the ranges rs inside <mark>
    var pos = from;
    rs.forEach(function (r) {
      var a = Math.max(r[0], pos), b = Math.min(r[1], to);
      if (b <= a) { return; }
      if (a > pos) { el.appendChild(document.createTextNode(text.slice(pos, a))); }
      var m = document.createElement("mark");
      m.textContent = text.slice(a, b);
      el.appendChild(m);
      pos = b;
    });
    if (pos < to) { el.appendChild(document.createTextNode(text.slice(pos, to))); }
  }

  /* ---- dates ------------------------------------------------------------------ */
  function isoToday() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function wareki(iso) {  // as kb.corpus.dates.wareki
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso || "");
    if (!m) { return ""; }
    var y = +m[1], era = iso >= "2019-05-01" ? ["令和", 2018] : iso >= "1989-01-08" ? ["平成", 1988] : ["昭和", 1925];
    var n = y - era[1];
    return era[0] + (n === 1 ? "元" : n) + "年" + (+m[2]) + "月" + (+m[3]) + "日";
  }

  window.kaigoPage = { fold: fold, ranges: ranges, appendMarked: appendMarked, wareki: wareki, today: isoToday };

  /* ---- copy buttons (citation, URL) --------------------------------------------- */
  function copy(text, button) {
    function done() { var old = button.textContent; button.textContent = "コピーしました"; setTimeout(function () { button.textContent = old; }, 1500); }
    function fallback() {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.style.position = "absolute"; ta.style.left = "-9999px";
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* nothing else to try */ }
      document.body.removeChild(ta);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else { fallback(); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (el) { copy(el.textContent, b); }
    });
  });

  /* ---- "/" focuses the search box (the home page's, else the header's) ------------ */
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) { return; }
    var t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) { return; }
    var box = document.getElementById("q") || document.getElementById("site-q");
    if (!box) { return; }
    e.preventDefault();
    box.focus();
    box.select();
  });

  /* ---- ?hl=words: mark the searched words on the page a result opened ----------- */
  function param(name) {
    var m = new RegExp("[?&]" + name + "=([^&#]*)").exec(location.search);
    if (!m) { return ""; }
    try { return decodeURIComponent(m[1].replace(/\+/g, " ")); } catch (e) { return ""; }
  }
  function highlightPage(needles) {
    var main = document.querySelector("main");
    if (!main || !needles.length) { return; }
    var walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, null), nodes = [], n;
    while ((n = walker.nextNode())) {
      if (n.nodeValue.trim() && !n.parentNode.closest("script, style, mark, button")) { nodes.push(n); }
    }
    var marks = 0;
    nodes.forEach(function (node) {
      if (marks > 500) { return; }
      var text = node.nodeValue, rs = ranges(text, needles);
      if (!rs.length) { return; }
      var frag = document.createDocumentFragment();
      appendMarked(frag, text, rs, 0, text.length);
      marks += rs.length;
      node.parentNode.replaceChild(frag, node);
    });
    if (marks) { document.body.classList.add("has-marks"); }
  }
  var hl = param("hl");
  if (hl) {
    highlightPage(hl.split(/\s+/).filter(function (w) { return w.length >= 2 || /[\u3400-\u9fff]/.test(w); })
      .map(function (w) { return fold(w).toLowerCase(); }).slice(0, 20));
  }

  /* ---- as of a date: amounts and obligations in force on the picked day ----------- */
  var control = document.querySelector("[data-asof]");
  if (control) {
    var input = control.querySelector(".asof-date"), today = isoToday();
    control.hidden = false;
    var on = param("on");
    input.value = /^\d{4}-\d{2}-\d{2}$/.test(on) ? on : today;
    var apply = function () {
      var day = input.value || today, now = day === today;
      document.body.setAttribute("data-asof-day", day);
      Array.prototype.forEach.call(document.querySelectorAll("tr.dated"), function (row) {
        var from = row.getAttribute("data-from"), until = row.getAttribute("data-until");
        var inForce = (!from || from <= day) && (!until || day <= until);
        row.classList.toggle("in-force", inForce);
        row.classList.toggle("out-of-force", !inForce);
        var badge = row.querySelector(".asof-badge");
        if (badge) { badge.hidden = !inForce; badge.textContent = now ? "現在" : wareki(day) + "時点"; }
      });
      Array.prototype.forEach.call(document.querySelectorAll(".dated-obligation"), function (li) {
        var from = li.getAttribute("data-from"), trans = li.getAttribute("data-transition");
        var status = !from || from <= day ? "in_force" : trans && day <= trans ? "transition" : "not_yet";
        li.setAttribute("data-status", status);
        Array.prototype.forEach.call(li.querySelectorAll(".asof-badge"), function (b) {
          b.hidden = b.getAttribute("data-status") !== status;
          if (b.getAttribute("data-status") === "in_force") { b.textContent = now ? "現在" : wareki(day) + "時点"; }
        });
      });
    };
    input.addEventListener("change", apply);
    input.addEventListener("input", apply);
    control.querySelector(".asof-today").addEventListener("click", function () { input.value = today; apply(); });
    apply();
  }
})();
