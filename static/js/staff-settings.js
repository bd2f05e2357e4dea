/* Settings page: live preview of the widget appearance (no inline script: CSP). */
(function () {
  "use strict";
  var preview = document.getElementById("widget-preview");
  var form = document.getElementById("appearance-form");
  if (!preview || !form) return;
  var title = document.getElementById("preview-title");
  var launcher = document.getElementById("preview-launcher");
  var fallbackTitle = title.textContent;

  function inkFor(hex) {
    // Black or white text, whichever contrasts more with the accent (WCAG luminance, as the widget).
    var lum = [1, 3, 5].reduce(function (sum, i, k) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      c = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return sum + c * [0.2126, 0.7152, 0.0722][k];
    }, 0);
    return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
  }

  function update() {
    var accent = form.elements.accent.value;
    if (/^#[0-9a-f]{6}$/i.test(accent)) {
      preview.style.setProperty("--preview-accent", accent);
      preview.style.setProperty("--preview-ink", inkFor(accent));
    }
    title.textContent = form.elements.title.value || fallbackTitle;
    launcher.textContent = form.elements.launcher.value || "Chat with us";
    var position = form.querySelector('input[name="position"]:checked');
    preview.classList.toggle("is-left", !!position && position.value === "left");
  }

  if (!form.elements.title.value) fallbackTitle = title.textContent;
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
