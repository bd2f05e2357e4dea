/* Inline validation: a field the browser finds invalid shows why right under it (linked with
   aria-describedby), is marked aria-invalid, and the message clears as soon as it is fixed.
   The server still checks everything; this only says it sooner and in place. */
(function () {
  "use strict";

  var counter = 0;

  function messageFor(field) {
    var v = field.validity;
    var name = (field.labels && field.labels[0] ? field.labels[0].textContent : "This field")
      .replace(/\s+/g, " ").replace(/\(optional\)/i, "").trim();
    if (v.valueMissing) return name + " is required.";
    if (v.typeMismatch && field.type === "email") return "Enter an e-mail address like name@example.com.";
    if (v.typeMismatch && field.type === "url") return "Enter a full address starting with https://.";
    if (v.tooLong) return "Use at most " + field.maxLength + " characters.";
    if (v.tooShort) return "Use at least " + field.minLength + " characters.";
    if (v.rangeUnderflow) return "Use " + field.min + " or more.";
    if (v.rangeOverflow) return "Use " + field.max + " or less.";
    if (v.stepMismatch) return "Use a whole step of " + field.step + ".";
    return field.validationMessage;
  }

  function errorNode(field) {
    var id = field.dataset.errorId;
    if (id && document.getElementById(id)) return document.getElementById(id);
    id = "field-error-" + (++counter);
    field.dataset.errorId = id;
    var node = document.createElement("p");
    node.className = "field-error";
    node.id = id;
    node.hidden = true;
    field.insertAdjacentElement("afterend", node);
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(id);
    field.setAttribute("aria-describedby", described.join(" "));
    return node;
  }

  function show(field) {
    var node = errorNode(field);
    node.textContent = messageFor(field);
    node.hidden = false;
    field.setAttribute("aria-invalid", "true");
  }

  function clear(field) {
    if (!field.dataset.errorId) return;
    var node = document.getElementById(field.dataset.errorId);
    if (node) node.hidden = true;
    field.removeAttribute("aria-invalid");
  }

  // The browser's own bubble disappears after a moment; ours stays until the field is fixed.
  document.addEventListener("invalid", function (event) {
    var field = event.target;
    event.preventDefault();
    show(field);
    // The first invalid field of a submitted form takes the focus, after the browser is done.
    var form = field.form;
    if (form && !form.dataset.focusedInvalid) {
      form.dataset.focusedInvalid = "yes";
      setTimeout(function () {
        delete form.dataset.focusedInvalid;
        field.focus();
      }, 0);
    }
  }, true);

  function recheck(event) {
    var field = event.target;
    if (!field.willValidate || !field.dataset.errorId) return;
    if (field.checkValidity()) clear(field);
    else show(field);
  }

  document.addEventListener("input", recheck, true);
  document.addEventListener("change", recheck, true);
  // Leaving a field says what is wrong with it — unless the visitor is heading for the
  // form's own button: a message appearing then would move the button from under the click.
  document.addEventListener("focusout", function (event) {
    var field = event.target;
    var next = event.relatedTarget;
    if (next && next.form === field.form && next.type === "submit") return;
    if (field.willValidate && field.value !== "" && !field.validity.valid) show(field);
  }, true);
})();
