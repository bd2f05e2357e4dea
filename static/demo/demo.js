// The host page's own script: the documented queue stub, then buttons that open the chat.
window.Frontdesk =
  window.Frontdesk ||
  function () {
    (Frontdesk.q = Frontdesk.q || []).push(arguments);
  };
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-frontdesk-open]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.Frontdesk("open");
    });
  });
});
Frontdesk("on", "booking", function (card) {
  // A real site might send an analytics event here.
  document.documentElement.setAttribute("data-last-booking", card.type);
});
