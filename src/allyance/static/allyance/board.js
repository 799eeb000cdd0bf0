// The pipeline board: drag a deal card to another stage's column to move it there.
// The server decides (opportunity_move); when it refuses, the card goes back where it was
// and the reason is shown above the board. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) { return field.value; }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function showMessage(text, kind) {
    var box = document.getElementById("board-message");
    if (!box) { return; }
    box.textContent = text;
    box.classList.remove("d-none", "alert-danger", "alert-success");
    box.classList.add(kind === "success" ? "alert-success" : "alert-danger");
  }

  function hideMessage() {
    var box = document.getElementById("board-message");
    if (box) { box.classList.add("d-none"); box.textContent = ""; }
  }

  function updateColumns(board, columns) {
    (columns || []).forEach(function (summary) {
      var column = board.querySelector('.board-column[data-stage-id="' + summary.stage + '"]');
      if (!column) { return; }
      column.querySelector("[data-testid=column-count]").textContent = summary.count;
      column.querySelector("[data-testid=column-total]").textContent = summary.totals || "—";
    });
  }

  function putBack(card, from, oldIndex) {
    var reference = from.children[oldIndex] || null;
    if (reference === card) { return; }
    from.insertBefore(card, reference);
  }

  function move(board, event) {
    var card = event.item;
    var from = event.from;
    var to = event.to;
    if (from === to) { return; }
    var body = new URLSearchParams();
    body.append("stage", to.dataset.stageId);
    body.append("version", card.dataset.version);
    if (board.dataset.owner) { body.append("owner", board.dataset.owner); }
    var column = to.closest(".board-column");
    var fromColumn = from.closest(".board-column");
    if (fromColumn && fromColumn.dataset.outcome !== "open") { body.append("reopen", "1"); }
    if (column && column.dataset.outcome === "lost") {
      var reason = window.prompt(board.dataset.lostPrompt || "");
      if (reason === null) { putBack(card, from, event.oldIndex); return; }
      body.append("loss_reason", reason);
    }
    card.classList.add("opacity-50");
    fetch(card.dataset.moveUrl, {
      method: "POST",
      headers: {
        "Accept": "application/json",
        "X-CSRFToken": csrfToken(),
        "Content-Type": "application/x-www-form-urlencoded"
      },
      credentials: "same-origin",
      body: body.toString()
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; });
    }).then(function (answer) {
      card.classList.remove("opacity-50");
      if (answer.ok) {
        card.dataset.version = answer.version;
        updateColumns(board, answer.columns);
        hideMessage();
      } else {
        putBack(card, from, event.oldIndex);
        showMessage(answer.message || board.dataset.failed, "error");
      }
    }).catch(function () {
      card.classList.remove("opacity-50");
      putBack(card, from, event.oldIndex);
      showMessage(board.dataset.failed, "error");
    });
  }

  function start() {
    var board = document.getElementById("board");
    if (board && window.Sortable) {
      board.querySelectorAll(".board-cards").forEach(function (list) {
        window.Sortable.create(list, {
          group: "board",
          animation: 150,
          draggable: ".board-card",
          ghostClass: "opacity-25",
          onEnd: function (event) { move(board, event); }
        });
      });
    }
    document.querySelectorAll("input.js-autosubmit-check").forEach(function (box) {
      box.addEventListener("change", function () { box.form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
