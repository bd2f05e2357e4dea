/* The open conversation's details (page, time zone, bookings): a sidebar beside the transcript
   that the Details button hides and shows. Wide screens remember the choice and open with it;
   narrower ones open with the details out of the transcript's way. Without this script the
   details simply stay shown. */
(function () {
  "use strict";

  var KEY = "frontdesk.inbox.details";
  var conv = document.querySelector(".conv");
  var toggle = document.getElementById("details-toggle");
  if (!conv || !toggle) { return; }
  var wide = window.matchMedia("(min-width: 75rem)");

  function remembered() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }  // storage may be off
  }

  function remember(open) {
    try { localStorage.setItem(KEY, open ? "open" : "closed"); } catch (e) { /* not kept */ }
  }

  function show(open) {
    conv.setAttribute("data-details", open ? "open" : "closed");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  show(wide.matches && remembered() !== "closed");
  toggle.hidden = false;
  toggle.addEventListener("click", function () {
    var open = conv.getAttribute("data-details") !== "open";
    show(open);
    if (wide.matches) { remember(open); }
  });
})();
