/* Copy buttons (citation strings). Works from file://: falls back to a selection copy. */
(function () {
  "use strict";
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
})();
