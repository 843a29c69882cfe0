// Small improvements only: every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // Facet checkboxes apply at once; after the reload, the keyboard focus is back on the
  // checkbox that was changed (or, if that value is gone, on the results).
  var FOCUS_KEY = "moa-focus-filter";
  document.querySelectorAll(".facets input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () {
      try { sessionStorage.setItem(FOCUS_KEY, JSON.stringify([location.pathname, box.name, box.value])); } catch (e) {}
      box.form.submit();
    });
  });
  var wanted = null;
  try { wanted = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null"); sessionStorage.removeItem(FOCUS_KEY); } catch (e) {}
  if (wanted && wanted[0] === location.pathname) {
    var target = Array.prototype.find.call(document.querySelectorAll(".facets input[type=checkbox]"), function (b) {
      return b.name === wanted[1] && b.value === wanted[2];
    });
    if (target) {
      var details = target.closest("details");
      if (details) details.open = true;
      target.focus();
    } else if (document.getElementById("results")) {
      document.getElementById("results").focus();
    }
  }

  // "Copy citation" copies the cite box text (or selects it where the clipboard is closed).
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var node = document.getElementById(button.dataset.copy);
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy citation"; }, 1500);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(node.textContent.trim()).then(done);
      } else {
        var range = document.createRange();
        range.selectNodeContents(node);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
    });
  });

  // Document page: step through the highlights with buttons or the n / p keys.
  var marks = Array.prototype.slice.call(document.querySelectorAll(".page-text mark"));
  var nav = document.getElementById("mark-nav");
  if (marks.length && nav) {
    var at = -1, label = nav.querySelector(".where");
    var go = function (step) {
      if (at >= 0) marks[at].classList.remove("current");
      at = (at + step + marks.length) % marks.length;
      marks[at].classList.add("current");
      marks[at].scrollIntoView({block: "center"});
      label.textContent = (at + 1) + " of " + marks.length;
    };
    nav.hidden = false;
    nav.querySelector(".next").addEventListener("click", function () { go(1); });
    nav.querySelector(".prev").addEventListener("click", function () { go(-1); });
    document.addEventListener("keydown", function (e) {
      if (e.target.closest("input, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "n") go(1);
      if (e.key === "p") go(-1);
    });
  }

  // "/" puts the cursor in the search box.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.target.closest("input, textarea")) return;
    var box = document.querySelector("#q, #within-q, #quick-q");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  });
});
