// Change navigator of the compare pages: previous/next real change, "i of N", keys n/p.
// Without JavaScript the "first" link and the numbered anchors (#chg-N) still work.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var nav = document.querySelector(".change-nav");
    if (!nav) return;
    var changes = Array.prototype.slice.call(document.querySelectorAll("[data-change]"));
    var total = changes.length, at = -1;
    var pos = nav.querySelector(".nav-pos");
    nav.querySelector(".nav-js").hidden = total === 0;
    function go(i) {
      if (!total) return;
      at = (i + total) % total;
      changes.forEach(function (c) { c.classList.remove("current"); });
      var c = changes[at];
      var d = c.closest("details");
      if (d) d.open = true;
      c.classList.add("current");
      c.scrollIntoView({ block: "center" });
      pos.textContent = "change " + (at + 1) + " of " + total;
      history.replaceState(null, "", "#" + c.id);
    }
    nav.querySelector(".nav-next").addEventListener("click", function () { go(at + 1); });
    nav.querySelector(".nav-prev").addEventListener("click", function () { go(at - 1); });
    document.addEventListener("keydown", function (e) {
      if (e.target.closest("input, textarea, select") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "n") go(at + 1);
      else if (e.key === "p") go(at - 1);
    });
    pos.textContent = total + " change" + (total === 1 ? "" : "s");
  });
})();
