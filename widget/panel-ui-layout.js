/* Panel UI, layout: the panel's fixed nodes (header, banner, log, chips, composer); modal with
   focus kept inside when full screen; sized above the on-screen keyboard. `on`: close(),
   retry(), send(text) (true when taken). A part of panel.js (w = window, d = document). */

var RTL = /^(ar|he|fa|ur|ps|yi)\b/i;

/* The panel's nodes by name, plus fit() to size it to the visual viewport now. */
function buildPanel(settings, on) {
  var fullScreen = w.matchMedia("(max-width: 480px)"); // panel.css's full-screen layout
  var panel = attrs(el("section", "fd-panel"), {
    role: "dialog",
    "aria-label": TEXT.panelLabel.replace("{title}", settings.title || "Chat"),
    lang: settings.lang,
    dir: RTL.test(settings.lang) ? "rtl" : "ltr",
    "data-connection": "connecting"
  });
  var head = el("header", "fd-head");
  var who = el("div", "fd-who");
  var title = el("h2", "fd-title", settings.title || "Chat");
  var status = el("p", "fd-status", TEXT.connecting);
  who.append(title, status);
  var closeBtn = attrs(el("button", "fd-close"), { type: "button", "aria-label": TEXT.close });
  closeBtn.appendChild(icon("M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4L12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"));
  closeBtn.addEventListener("click", on.close);
  head.append(who, closeBtn);
  var banner = attrs(el("div", "fd-banner"), { role: "status" });
  var bannerText = el("span", "fd-banner-text");
  var retryBtn = attrs(el("button", "fd-retry", TEXT.retry), { type: "button" });
  retryBtn.addEventListener("click", on.retry);
  banner.append(bannerText, retryBtn);
  banner.hidden = true;
  var scroll = el("div", "fd-scroll");
  var greeting = el("p", "fd-greeting", settings.greeting);
  greeting.hidden = !settings.greeting;
  var log = attrs(el("div", "fd-log"), {
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": TEXT.log
  });
  var streamBox = attrs(el("div", "fd-streams"), { "aria-hidden": "true" });
  var typing = attrs(el("div", "fd-typing"), { "aria-hidden": "true" });
  typing.append(el("span"), el("span"), el("span"));
  typing.hidden = true;
  scroll.append(greeting, log, streamBox, typing);
  var chips = el("div", "fd-chips");
  chips.hidden = true;
  var form = el("form", "fd-compose");
  var label = attrs(el("label", "fd-sr", TEXT.input), { for: "fd-input" });
  var input = attrs(el("textarea", "fd-input"), {
    id: "fd-input",
    rows: "1",
    maxlength: String(MAX_CHARS), // the client's limit, panel-client.js
    placeholder: TEXT.placeholder,
    enterkeyhint: "send",
    autocomplete: "off"
  });
  var sendBtn = attrs(el("button", "fd-send"), { type: "submit", "aria-label": TEXT.send });
  sendBtn.appendChild(icon("M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"));
  form.append(label, input, sendBtn);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (on.send(input.value)) {
      input.value = "";
      input.style.height = "";
    }
    input.focus();
  });
  input.addEventListener("input", function () {
    // Grow with the text up to the CSS max-height (CSSOM styles are allowed under CSP).
    input.style.height = "auto";
    input.style.height = input.scrollHeight + 2 + "px";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.stopPropagation();
      on.close();
    } else if (event.key === "Tab" && fullScreen.matches) {
      keepFocusInside(event);
    }
  });
  panel.append(head, banner, scroll, chips, form);
  markModal();
  if (fullScreen.addEventListener) fullScreen.addEventListener("change", markModal);
  if (w.visualViewport) {
    w.visualViewport.addEventListener("resize", fitViewport);
    w.visualViewport.addEventListener("scroll", fitViewport);
  }
  return {
    panel: panel, title: title, status: status, banner: banner, bannerText: bannerText,
    scroll: scroll, greeting: greeting, log: log, streams: streamBox, typing: typing,
    chips: chips, input: input, fit: fitViewport
  };

  function keepFocusInside(event) {
    // Full screen on a phone the panel is modal: Tab cycles inside it, never to the page
    // hidden behind.
    var focusable = [].filter.call(
      panel.querySelectorAll("button, input, textarea, a[href]"),
      function (node) { return !node.disabled && node.getClientRects().length > 0; }
    );
    if (!focusable.length) return;
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    var active = panel.getRootNode().activeElement;
    var inside = panel.contains(active);
    if (event.shiftKey && (active === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }

  function markModal() {
    if (fullScreen.matches) panel.setAttribute("aria-modal", "true");
    else panel.removeAttribute("aria-modal");
  }

  function fitViewport() {
    // The on-screen keyboard shrinks the visual viewport; size the full-screen panel to it.
    var vv = w.visualViewport;
    if (!vv) return;
    panel.style.setProperty("--fd-vh", Math.round(vv.height) + "px");
    panel.style.setProperty("--fd-top", Math.round(vv.offsetTop) + "px");
  }
}
