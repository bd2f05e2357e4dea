/* Destructive actions ask first: a form (or its submit button) with data-confirm opens a
   dialog naming what will happen; only "confirm" submits it. Without JavaScript the form
   submits as before, so nothing depends on this file to work. */
(function () {
  "use strict";

  function build() {
    var dialog = document.createElement("dialog");
    dialog.className = "confirm";
    dialog.setAttribute("aria-labelledby", "confirm-title");
    dialog.setAttribute("aria-describedby", "confirm-text");
    dialog.innerHTML =
      '<form method="dialog"><h2 id="confirm-title"></h2><p id="confirm-text"></p>' +
      '<div class="button-row"><button value="cancel" class="button button--secondary" data-keep></button>' +
      '<button value="confirm" class="button button--danger" data-go></button></div></form>';
    document.body.appendChild(dialog);
    return dialog;
  }

  function ask(text, title, go, keep, onConfirm) {
    var dialog = document.querySelector("dialog.confirm") || build();
    dialog.querySelector("#confirm-title").textContent = title;
    dialog.querySelector("#confirm-text").textContent = text;
    dialog.querySelector("[data-go]").textContent = go;
    dialog.querySelector("[data-keep]").textContent = keep;
    dialog.returnValue = "";
    dialog.onclose = function () {
      if (dialog.returnValue === "confirm") onConfirm();
    };
    dialog.showModal();
    dialog.querySelector("[data-keep]").focus();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var source = submitter && submitter.dataset.confirm ? submitter : form;
    if (!source.dataset || !source.dataset.confirm || form.dataset.confirmed === "yes") {
      delete form.dataset.confirmed;
      return;
    }
    event.preventDefault();
    var label = submitter ? submitter.textContent.trim() : "Confirm";
    ask(
      source.dataset.confirm,
      source.dataset.confirmTitle || "Are you sure?",
      source.dataset.confirmButton || label,
      source.dataset.confirmKeep || "Keep it",
      function () {
        form.dataset.confirmed = "yes";
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      }
    );
  }, true);
})();
