// Assignment rule form: show only the target the chosen action needs (user, team or territory).
(function () {
  "use strict";
  function sync(select) {
    document.querySelectorAll("[data-routing-target]").forEach(function (box) {
      var wanted = box.getAttribute("data-routing-target").split(" ");
      box.hidden = wanted.indexOf(select.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-routing-action]");
    if (!select) return;
    sync(select);
    select.addEventListener("change", function () { sync(select); });
  });
})();
