// Quote line form: choosing another product reloads the form with that product's options.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-quote-product]");
    if (!select) {
      return;
    }
    var button = select.form.querySelector("[name=choose]");
    if (button) {
      button.click();
    }
  });
})();
