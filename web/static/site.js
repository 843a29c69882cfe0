// Small improvements only: the site works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // Facet checkboxes apply at once.
  document.querySelectorAll(".facets input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.form;
      var page = form.querySelector("input[name=page]");
      if (page) page.remove();
      form.submit();
    });
  });
  // "Copy citation" copies the cite box text.
  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = document.getElementById(button.dataset.copy).textContent.trim();
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy citation"; }, 1500);
      });
    });
  });
});
