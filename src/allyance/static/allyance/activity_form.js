// The activity form: invitees only for meetings, the reminder time only when chosen.
(function () {
  "use strict";

  function rowOf(name) {
    var field = document.querySelector("[name=" + name + "]");
    return field ? field.closest(".mb-3") : null;
  }

  function toggle(name, shown) {
    var row = rowOf(name);
    if (row) { row.classList.toggle("d-none", !shown); }
  }

  function init() {
    var kind = document.querySelector("select[name=kind]");
    var remind = document.querySelector("select[name=remind]");
    if (!kind || !remind) { return; }
    function update() {
      var meeting = kind.value === "meeting";
      var hasInvitees = ["invite_users", "invite_contacts"].some(function (name) {
        var select = document.querySelector("select[name=" + name + "]");
        return select && select.selectedOptions.length > 0;
      });
      // Shown anyway when filled in, so a wrong choice is visible beside its error.
      toggle("invite_users", meeting || hasInvitees);
      toggle("invite_contacts", meeting || hasInvitees);
      toggle("remind_at", remind.value === "custom" || !!document.querySelector("[data-field-error=remind_at]"));
    }
    kind.addEventListener("change", update);
    remind.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
