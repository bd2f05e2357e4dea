/* Training pages: the evaluation run's progress bar and the fine-tuning job page follow their
   work by polling small JSON endpoints (no inline script: CSP). */
(function () {
  "use strict";

  function poll(url, every, onData) {
    var stopped = false;
    function tick() {
      if (stopped) return;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && onData(data) === false) stopped = true;
        })
        .catch(function () { /* a dropped request: try again next time */ })
        .then(function () { if (!stopped) window.setTimeout(tick, every); });
    }
    window.setTimeout(tick, every);
  }

  var run = document.getElementById("run-progress");
  if (run && /^(queued|running)$/.test(run.dataset.status)) {
    var bar = document.getElementById("run-bar");
    poll(run.dataset.url, 1000, function (data) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.done;
      document.getElementById("run-done").textContent = data.done;
      document.getElementById("run-passed").textContent = data.passed;
      document.getElementById("run-status").textContent = data.status;
      if (!/^(queued|running)$/.test(data.status)) {
        window.location.reload(); // the finished run's results are rendered by the server
        return false;
      }
      return true;
    });
  }

  var job = document.getElementById("job-live");
  if (job && job.dataset.done !== "yes") {
    poll(job.dataset.url, 3000, function (data) {
      if (data.status !== job.dataset.status || String(data.events) !== job.dataset.events) {
        window.location.reload(); // new status or events: the page redraws its chart and lists
        return false;
      }
      return !data.done;
    });
  }
})();
