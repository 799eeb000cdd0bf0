// Allyance page behaviour. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  function enhance(root) {
    root.querySelectorAll("select.js-autosubmit").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    root.querySelectorAll("select.js-tom-select").forEach(function (select) {
      if (!select.tomselect && window.TomSelect) {
        new window.TomSelect(select, { create: select.dataset.create === "true", maxOptions: 200 });
      }
    });
    root.querySelectorAll("input.js-select-all").forEach(function (box) {
      box.addEventListener("change", function () {
        var form = box.closest("form");
        form.querySelectorAll("input[name=selected]").forEach(function (row) { row.checked = box.checked; });
      });
    });
    root.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (event) {
        if (!window.confirm(el.dataset.confirm)) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { enhance(event.target); });
})();
