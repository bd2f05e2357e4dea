// The bookings time grid: keep the now-line on the clock, and open the grid at the current
// hour (or the first booking) instead of midnight.
(function () {
  "use strict";
  var ROW_MS = 5 * 60 * 1000;
  var line = document.querySelector(".tnow");
  var scroller = document.querySelector(".tgrid-scroll");

  if (line) {
    var first = Number(line.dataset.row);
    var last = Number(line.dataset.rows);
    var loaded = Date.now();
    setInterval(function () {
      var row = first + Math.floor((Date.now() - loaded) / ROW_MS);
      line.className = line.className.replace(/\brs\d+\b/, "rs" + row);
      line.hidden = row > last;
    }, 30000);
  }

  if (scroller) {
    var target = line || document.querySelector(".titem");
    if (target && target.offsetTop > scroller.clientHeight * 0.6) {
      scroller.scrollTop = target.offsetTop - scroller.clientHeight / 3;
    }
  }
})();
