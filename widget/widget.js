/* Frontdesk loader. Draws the launcher and nothing else: no cookie, no storage write, no socket.
   The panel script and styles are fetched from our server the first time the chat is opened.
   Embed: <script src="https://HOST/widget.js" data-site="KEY" async></script>
   Early calls: window.Frontdesk=window.Frontdesk||function(){(Frontdesk.q=Frontdesk.q||[]).push(arguments)} */
(function (w, d) {
  "use strict";
  var TAG = "frontdesk-widget";
  if (!w.customElements || customElements.get(TAG)) return;
  var script = d.currentScript || d.querySelector('script[src*="/widget.js"][data-site]');
  if (!script) return;
  var origin = new URL(script.src, location.href).origin;
  var given = w.FrontdeskSettings || {};
  var opt = function (name, fallback) {
    var value = script.dataset[name];
    if (value == null || value === "") value = given[name];
    return value == null || value === "" ? fallback : String(value);
  };
  var accent = opt("accent", "#0f5f8c");
  if (!/^#([0-9a-f]{3}){1,2}$/i.test(accent)) accent = "#0f5f8c";
  var settings = {
    site: opt("site", ""),
    position: opt("position", "right") === "left" ? "left" : "right",
    accent: accent,
    ink: inkFor(accent),
    title: opt("title", ""),
    greeting: opt("greeting", ""),
    lang: opt("lang", d.documentElement.lang || navigator.language || "en"),
    openOnLoad: /^(1|true|yes|open)$/i.test(opt("open", "")),
    zIndex: parseInt(opt("zIndex", "2147483000"), 10) || 2147483000,
    storageKey: "frontdesk:" + opt("site", "")
  };
  // The launcher's words before the panel (and its strings) load: the tag's, else the language's.
  var LABELS = { fr: "Discuter avec nous", de: "Chatten Sie mit uns", es: "Chatea con nosotros",
    nl: "Chat met ons", pt: "Fale connosco", it: "Chatta con noi" };
  settings.label = opt("launcherLabel", LABELS[settings.lang.toLowerCase().split(/[-_]/)[0]] || "Chat with us");
  if (!settings.site) return console.warn("Frontdesk: the script tag needs data-site");
  var FILES = { js: "__PANEL_JS__", css: "__PANEL_CSS__", sri: "__PANEL_SRI__" };

  customElements.define(TAG, class extends HTMLElement {});
  var host = d.createElement(TAG);
  host.setAttribute("state", "closed");
  var root = host.attachShadow({ mode: "open" });
  var frame = d.createElement("div");
  frame.className = "fd-root fd-" + settings.position;
  frame.style.setProperty("--fd-accent", settings.accent);
  frame.style.setProperty("--fd-ink", settings.ink);
  var launcher = d.createElement("button");
  launcher.type = "button";
  launcher.className = "fd-launcher";
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-label", settings.label);
  launcher.innerHTML =
    '<svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
    '<svg class="fd-x" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false">' +
    '<path fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" d="M6 6l12 12M18 6 6 18"/></svg>' +
    '<span class="fd-label"></span><span class="fd-badge" hidden></span>';
  launcher.querySelector(".fd-label").textContent = settings.label;
  frame.appendChild(launcher);
  root.appendChild(frame);
  addSheet(
    // Important rules inside a shadow root beat the page's, so `all` must not reset z-index.
    ":host{all:initial!important;position:fixed!important;display:block!important;z-index:" +
      settings.zIndex +
      "!important;direction:ltr}" +
      "*,*::before,*::after{box-sizing:border-box}[hidden]{display:none!important}" +
      ".fd-root{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1b1f24}" +
      ".fd-launcher{position:fixed;bottom:20px;right:20px;display:flex;align-items:center;gap:8px;" +
      "min-height:52px;padding:0 20px 0 16px;border:0;border-radius:26px;background:var(--fd-accent);" +
      "color:var(--fd-ink);font-weight:600;font-size:15px;line-height:1;font-family:inherit;cursor:pointer;" +
      "box-shadow:0 6px 20px rgba(0,0,0,.22);margin:0}" +
      ".fd-left .fd-launcher{right:auto;left:20px}" +
      ".fd-launcher:focus-visible{outline:3px solid #1b1f24;outline-offset:3px;box-shadow:0 0 0 3px #fff}" +
      ".fd-badge{position:absolute;top:-6px;right:-6px;min-width:22px;height:22px;padding:0 6px;" +
      "border-radius:11px;background:#b3261e;color:#fff;font-weight:700;font-size:12px;line-height:18px;" +
      "text-align:center;border:2px solid #fff}" +
      // While the panel is open the launcher is its close button: an X, no label.
      ".fd-x,:host([state=open]) .fd-launcher>svg:first-child,:host([state=open]) .fd-label{display:none}" +
      ":host([state=open]) .fd-x{display:block}:host([state=open]) .fd-launcher{padding:0 14px}" +
      "@media (max-width:480px){.fd-label{display:none}.fd-launcher{padding:0 14px}" +
      ":host([state=open]) .fd-launcher{display:none}}"
  );

  var handlers = {};
  var panel = null;
  var factory = null;
  var loading = null;
  var early = [];
  var wanted = false;
  var unread = 0;

  function inkFor(hex) {
    // Black or white text, whichever contrasts more with the accent (WCAG relative luminance).
    var h = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, "$&$&").slice(1) : hex.slice(1);
    var lum = [0, 2, 4].reduce(function (sum, i, k) {
      var c = parseInt(h.substr(i, 2), 16) / 255;
      c = c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
      return sum + c * [0.2126, 0.7152, 0.0722][k];
    }, 0);
    return (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) ? "#000000" : "#ffffff";
  }

  function addSheet(text) {
    if (root.adoptedStyleSheets && w.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(text);
      root.adoptedStyleSheets = root.adoptedStyleSheets.concat(sheet);
    } else {
      var style = d.createElement("style");
      style.textContent = text;
      root.insertBefore(style, root.firstChild);
    }
  }

  function emit(name, data) {
    (handlers[name] || []).slice().forEach(function (fn) {
      try {
        fn(data);
      } catch (err) {
        setTimeout(function () {
          throw err;
        });
      }
    });
  }

  function setState(state) {
    host.setAttribute("state", state);
    launcher.setAttribute("aria-expanded", String(state === "open"));
    showUnread(unread);
  }

  function loadPanel() {
    if (loading) return loading;
    setState("loading");
    var css = fetch(origin + "/widget/" + FILES.css, { credentials: "omit" }).then(function (r) {
      if (!r.ok) throw new Error("panel styles: HTTP " + r.status);
      return r.text();
    });
    var js = new Promise(function (resolve, reject) {
      var tag = d.createElement("script");
      tag.src = origin + "/widget/" + FILES.js;
      tag.async = true;
      tag.crossOrigin = "anonymous";
      if (FILES.sri.indexOf("sha384-") === 0) tag.integrity = FILES.sri;
      tag.onload = resolve;
      tag.onerror = reject;
      d.head.appendChild(tag);
    });
    loading = Promise.all([css, js]).then(function (parts) {
      if (!factory) throw new Error("panel script did not register");
      addSheet(parts[0]);
      panel = factory({
        host: host,
        root: root,
        frame: frame,
        launcher: launcher,
        settings: settings,
        origin: origin,
        emit: emit,
        close: api.close,
        unread: showUnread
      });
      early.splice(0).forEach(function (text) {
        panel.send(text);
      });
    });
    loading.catch(function () {
      loading = null;
      wanted = false;
      setState("closed");
      launcher.setAttribute("aria-label", settings.label + " (unavailable, try again)");
    });
    return loading;
  }

  function showUnread(count) {
    var badge = launcher.querySelector(".fd-badge");
    unread = count;
    badge.hidden = !count;
    badge.textContent = count > 9 ? "9+" : String(count);
    var extra = count ? ", " + count + " unread message" + (count > 1 ? "s" : "") : "";
    var open = host.getAttribute("state") === "open";
    launcher.setAttribute("aria-label", open ? "Close chat" : settings.label + extra);
  }

  function open(moveFocus) {
    wanted = true;
    if (host.getAttribute("state") === "open") return;
    loadPanel().then(function () {
      if (host.getAttribute("state") === "open") return;
      if (!wanted) return setState("closed");
      setState("open");
      showUnread(0);
      panel.show(moveFocus !== false);
      emit("open", {});
    });
  }

  function api() {
    var args = [].slice.call(arguments);
    var method = api[args.shift()];
    if (typeof method === "function" && method !== api) return method.apply(null, args);
  }
  api.open = function () {
    open(true);
  };
  api.close = function () {
    wanted = false;
    if (host.getAttribute("state") !== "open") return;
    var hadFocus = root.activeElement != null;
    setState("closed");
    panel.hide();
    if (hadFocus) launcher.focus();
    emit("close", {});
  };
  api.toggle = function () {
    if (host.getAttribute("state") === "open") api.close();
    else api.open();
  };
  api.send = function (text) {
    if (panel) panel.send(text);
    else early.push(text);
    api.open();
  };
  api.on = function (name, fn) {
    if (typeof fn === "function") (handlers[name] = handlers[name] || []).push(fn);
  };
  api.off = function (name, fn) {
    handlers[name] = (handlers[name] || []).filter(function (h) {
      return h !== fn;
    });
  };
  api._panel = function (fn) {
    factory = factory || fn;
  };

  launcher.addEventListener("click", api.toggle);
  var queued = (w.Frontdesk && w.Frontdesk.q) || [];
  w.Frontdesk = api;
  (d.body || d.documentElement).appendChild(host);
  [].slice.call(queued).forEach(function (args) {
    api.apply(null, [].slice.call(args));
  });
  if (settings.openOnLoad || wasOpen()) open(false);

  function wasOpen() {
    // Reading is not storing: reopen the panel after navigation if the visitor left it open.
    try {
      return JSON.parse(localStorage.getItem(settings.storageKey) || "{}").open === true;
    } catch (err) {
      return false;
    }
  }
})(window, document);
