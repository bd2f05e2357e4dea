/* On a phone the dashboard's section links are one row that scrolls sideways: open it with
   the current section in view, as a tab strip does, instead of always the first four (a page
   further down, Settings or Privacy, then showed no section marked as the one open). */
(function () {
  "use strict";
  var current = document.querySelector('.staff-nav a[aria-current="page"]');
  var strip = current && current.closest(".staff-nav");
  if (!strip || strip.scrollWidth <= strip.clientWidth) return; // wide screens: a sidebar
  var shown = strip.getBoundingClientRect();
  var link = current.getBoundingClientRect();
  // Centred where it can be; scrollLeft itself stays within the strip, and the page does not
  // move (scrollIntoView could scroll it).
  strip.scrollLeft += link.left - shown.left - (shown.width - link.width) / 2;
})();
