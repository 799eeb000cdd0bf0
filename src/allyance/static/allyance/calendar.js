// The calendar page: FullCalendar over /calendar/events/, drag or resize to reschedule.
// Options come from the page (json_script); no inline scripts (CSP).
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) { return ""; }
  }

  function showMessage(text, kind) {
    var box = document.getElementById("calendar-message");
    if (!box) { return; }
    box.textContent = text;
    box.className = "alert alert-" + (kind || "warning");
    if (kind === "success") {
      window.setTimeout(function () { box.className = "alert d-none"; }, 2500);
    }
  }

  function dateOnly(date) {
    // An all-day entry's day, as the calendar shows it (FullCalendar gives it at midnight).
    var pad = function (n) { return String(n).padStart(2, "0"); };
    return date.getUTCFullYear() + "-" + pad(date.getUTCMonth() + 1) + "-" + pad(date.getUTCDate());
  }

  function init() {
    var element = document.getElementById("calendar");
    var source = document.getElementById("calendar-options");
    if (!element || !source || !window.FullCalendar) { return; }
    var options = JSON.parse(source.textContent);
    var params = new URLSearchParams(window.location.search);
    var which = {};
    if (params.get("user")) { which.user = params.get("user"); }
    else if (params.get("scope")) { which.scope = params.get("scope"); }

    function reschedule(info) {
      var event = info.event;
      var body = new URLSearchParams();
      if (event.allDay) {
        body.set("start", event.startStr.slice(0, 10));
      } else {
        body.set("start", event.start.toISOString());
        if (event.end) { body.set("end", event.end.toISOString()); }
      }
      body.set("version", event.extendedProps.version);
      element.dataset.saving = "true";
      fetch(event.extendedProps.moveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
        body: body,
        credentials: "same-origin",
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (response.ok) {
            event.setExtendedProp("version", data.extendedProps.version);
            showMessage(options.messages.moved, "success");
          } else {
            info.revert();
            var detail = data.error || Object.values(data.errors || {}).flat().join(" ");
            showMessage(response.status === 409 ? options.messages.conflict : (detail || options.messages.failed));
          }
        });
      }).catch(function () {
        info.revert();
        showMessage(options.messages.failed);
      }).finally(function () {
        delete element.dataset.saving;
      });
    }

    // On a phone: the agenda list by default and the view buttons below the calendar.
    var narrow = window.matchMedia("(max-width: 576px)").matches;
    var viewButtons = "dayGridMonth,timeGridWeek,timeGridDay,listWeek";

    var calendar = new window.FullCalendar.Calendar(element, {
      initialView: narrow && !params.get("view") ? "listWeek" : options.initialView,
      initialDate: options.initialDate || undefined,
      timeZone: options.timeZone,
      locale: options.locale,
      headerToolbar: narrow
        ? { start: "prev,next", center: "title", end: "today" }
        : { start: "prev,next today", center: "title", end: viewButtons },
      footerToolbar: narrow ? { center: viewButtons } : false,
      height: "auto",
      nowIndicator: true,
      navLinks: true,
      dayMaxEvents: true,
      scrollTime: "08:00:00",
      editable: true,
      eventAllow: function (dropInfo, draggedEvent) {
        // A timed meeting stays timed; a task stays on a day.
        return dropInfo.allDay === draggedEvent.allDay;
      },
      events: { url: options.eventsUrl, extraParams: which },
      eventDrop: reschedule,
      eventResize: reschedule,
      eventDidMount: function (info) {
        var props = info.event.extendedProps;
        var title = props.kindLabel + ": " + info.event.title;
        if (props.owner) { title += " (" + props.owner + ")"; }
        if (props.location) { title += " @ " + props.location; }
        info.el.setAttribute("title", title);
        info.el.dataset.eventId = info.event.id;
        info.el.dataset.testid = "calendar-event";
      },
      eventClick: function (info) {
        // An invitation shared with the user: show it with the answer buttons.
        if (info.event.url || !info.event.extendedProps.respondUrl) { return; }
        info.jsEvent.preventDefault();
        showInvitation(info.event);
      },
      dateClick: function (info) {
        if (info.view.type === "dayGridMonth") { return; }
        var start = info.allDay ? dateOnly(info.date) : info.dateStr.slice(0, 16);
        window.location.href = options.newUrl + "?kind=meeting&starts_at=" + encodeURIComponent(start);
      },
    });
    var panel = document.getElementById("invitation-panel");
    var shown = null;

    function showInvitation(event) {
      if (!panel) { return; }
      shown = event;
      var props = event.extendedProps;
      panel.querySelector("[data-field=title]").textContent = event.title;
      var detail = [props.kindLabel, props.owner, props.location].filter(Boolean).join(" · ");
      panel.querySelector("[data-field=detail]").textContent = detail;
      panel.querySelector("[data-field=response]").textContent = options.messages.responses[props.response] || "";
      panel.classList.remove("d-none");
    }

    if (panel) {
      panel.querySelector("[data-close]").addEventListener("click", function () {
        panel.classList.add("d-none");
      });
      panel.querySelectorAll("[data-response]").forEach(function (button) {
        button.addEventListener("click", function () {
          if (!shown) { return; }
          var body = new URLSearchParams({ response: button.dataset.response });
          var event = shown;
          fetch(event.extendedProps.respondUrl, {
            method: "POST",
            headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "XMLHttpRequest" },
            body: body,
            credentials: "same-origin",
          }).then(function (response) { return response.json(); }).then(function (data) {
            if (data.response) {
              event.setExtendedProp("response", data.response);
              panel.querySelector("[data-field=response]").textContent = data.label;
            }
          }).catch(function () { showMessage(options.messages.failed); });
        });
      });
    }

    calendar.render();
    window.allyanceCalendar = calendar;

    document.querySelectorAll("select.js-calendar-which").forEach(function (select) {
      select.addEventListener("change", function () {
        window.location.search = "?" + select.value;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
