/* Desktop alerts for staff: off until they turn them on (the browser asks for permission
   then); when on, someone asking for a person (or a flagged message) shows a notification
   and plays a short chime. The choice is kept per browser. staff-live.js calls raise(). */
(function () {
  "use strict";
  var KEY = "frontdesk.alerts";
  var audio = null;

  function supported() { return "Notification" in window; }
  function on() {
    return supported() && Notification.permission === "granted" && localStorage.getItem(KEY) === "on";
  }

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [660, 880].forEach(function (frequency, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var start = audio.currentTime + i * 0.18;
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
        osc.connect(gain).connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.32);
      });
    } catch (e) { /* no sound is better than a broken page */ }
  }

  function raise(item, href) {
    document.documentElement.dataset.lastAlert = item.id;
    if (!on()) { return; }
    var title = item.flagged && item.status !== "needs_human"
      ? "Flagged message from " + item.visitor.name
      : item.visitor.name + " asks for a person";
    var note = new Notification(title, { body: item.preview || "", tag: "frontdesk-" + item.id });
    note.onclick = function () { window.focus(); location.href = href; note.close(); };
    chime();
  }

  function show(button) {
    var state = !supported() ? "unsupported" : Notification.permission === "denied" ? "blocked" : on() ? "on" : "off";
    button.dataset.state = state;
    button.setAttribute("aria-pressed", state === "on" ? "true" : "false");
    button.textContent = {
      on: "Desktop alerts: on", off: "Desktop alerts: off",
      blocked: "Desktop alerts: blocked in the browser", unsupported: "",
    }[state];
    button.hidden = state === "unsupported";
    button.disabled = state === "blocked";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("alerts-toggle");
    if (!button) { return; }
    show(button);
    button.addEventListener("click", function () {
      if (on()) { localStorage.setItem(KEY, "off"); show(button); return; }
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();  // unlocked by this click
      Notification.requestPermission().then(function (permission) {
        localStorage.setItem(KEY, permission === "granted" ? "on" : "off");
        show(button);
        if (permission === "granted") { chime(); }
      });
    });
  });

  window.FrontdeskAlerts = { raise: raise, enabled: on };
}());
