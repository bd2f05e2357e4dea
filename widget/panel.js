/* Frontdesk panel: the chat UI and its websocket client. Loaded by widget.js on first open and
   mounted inside the widget's shadow root. No framework, no build step, no eval, no inline styles. */
(function (w, d) {
  "use strict";
  var F = w.Frontdesk;
  if (F && F._panel) F._panel(mount);

  var TEXT = {
    close: "Close chat",
    send: "Send",
    input: "Message",
    placeholder: "Type your message…",
    log: "Conversation",
    you: "You",
    assistant: "Assistant",
    staff: "Team",
    online: "Online · we reply instantly",
    closedNow: "We're closed now · leave a message",
    human: "A team member will join shortly",
    withStaff: "You're chatting with our team",
    ended: "This conversation has ended",
    connecting: "Connecting…",
    offlineShort: "Offline",
    reconnecting: "Connection lost. Reconnecting…",
    offline: "You're offline. We'll reconnect when you're back.",
    retry: "Retry now",
    sending: "Sending…",
    sent: "Sent",
    failed: "Not sent",
    resend: "Try again",
    source: "Source",
    sources: "Sources",
    unavailable: "Chat is not available on this site.",
    typing: "typing"
  };
  var CARD_TITLES = {
    booking_proposal: "Please confirm your booking",
    reschedule_proposal: "Confirm the new time",
    cancel_proposal: "Cancel this booking?",
    booking_confirmed: "Booking confirmed",
    booking_rescheduled: "Booking moved",
    booking_cancelled: "Booking cancelled"
  };
  var RTL = /^(ar|he|fa|ur|ps|yi)\b/i;
  var ALLOWED_TAGS = /^(A|B|BLOCKQUOTE|BR|CODE|DEL|EM|H[1-6]|HR|I|LI|OL|P|PRE|S|SPAN|STRONG|SUB|SUP|TABLE|TBODY|TD|TH|THEAD|TR|U|UL)$/;
  var MAX_CHARS = 2000;
  var UNSENT_MAX = 20; // unacked frames carried over to the next page
  var UNSENT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

  function el(tag, className, text) {
    var node = d.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function attrs(node, map) {
    Object.keys(map).forEach(function (key) {
      node.setAttribute(key, map[key]);
    });
    return node;
  }

  function icon(path) {
    var span = el("span", "fd-icon");
    span.innerHTML =
      '<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">' +
      '<path fill="currentColor" d="' + path + '"/></svg>';
    return span;
  }

  function safeUrl(value, allowMail) {
    try {
      var url = new URL(String(value));
      var ok = url.protocol === "https:" || url.protocol === "http:";
      return ok || (allowMail && url.protocol === "mailto:") ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  /* Defence in depth: the server already sanitized `html`; keep only an allowlist anyway. */
  function sanitize(html) {
    var doc = new DOMParser().parseFromString("<body>" + html, "text/html");
    scrub(doc.body);
    var frag = d.createDocumentFragment();
    while (doc.body.firstChild) frag.appendChild(d.adoptNode(doc.body.firstChild));
    return frag;
  }

  function scrub(parent) {
    [].slice.call(parent.childNodes).forEach(function (node) {
      if (node.nodeType === 3) return;
      if (node.nodeType !== 1 || !ALLOWED_TAGS.test(node.tagName)) return node.remove();
      var href = node.tagName === "A" && safeUrl(node.getAttribute("href"), true);
      [].slice.call(node.attributes).forEach(function (attr) {
        node.removeAttribute(attr.name);
      });
      if (href) attrs(node, { href: href, target: "_blank", rel: "noopener noreferrer nofollow" });
      scrub(node);
    });
  }

  function mount(ctx) {
    var settings = ctx.settings;
    var state = {
      visitor: null,
      conversation: null,
      lastSeq: 0,
      outbox: [],
      bySeq: {},
      pending: {},
      streams: {},
      unread: 0,
      visible: false,
      attempt: 0,
      halted: false
    };
    var ws = null;
    var retryTimer = 0;
    var pingTimer = 0;
    var typingTimer = 0;
    var fullScreen = w.matchMedia("(max-width: 480px)"); // panel.css's full-screen layout
    var ui = build();
    markModal();
    if (fullScreen.addEventListener) fullScreen.addEventListener("change", markModal);
    ctx.frame.insertBefore(ui.panel, ctx.launcher);
    w.addEventListener("storage", onStorage);
    w.addEventListener("online", reconnectNow);
    w.addEventListener("offline", function () {
      setConnection("offline");
    });
    if (w.visualViewport) {
      w.visualViewport.addEventListener("resize", fitViewport);
      w.visualViewport.addEventListener("scroll", fitViewport);
    }
    var saved = readStore();
    state.visitor = saved.visitor || null;
    state.conversation = saved.conversation || null;
    restoreUnsent(saved);
    connect();
    return { show: show, hide: hide, send: sendText };

    /* ---------- DOM ---------- */

    function build() {
      var panel = attrs(el("section", "fd-panel"), {
        role: "dialog",
        "aria-label": (settings.title || "Chat") + " chat",
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
      closeBtn.addEventListener("click", ctx.close);
      head.append(who, closeBtn);
      var banner = attrs(el("div", "fd-banner"), { role: "status" });
      var bannerText = el("span", "fd-banner-text");
      var retryBtn = attrs(el("button", "fd-retry", TEXT.retry), { type: "button" });
      retryBtn.addEventListener("click", reconnectNow);
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
        maxlength: String(MAX_CHARS),
        placeholder: TEXT.placeholder,
        enterkeyhint: "send",
        autocomplete: "off"
      });
      var sendBtn = attrs(el("button", "fd-send"), { type: "submit", "aria-label": TEXT.send });
      sendBtn.appendChild(icon("M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"));
      form.append(label, input, sendBtn);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (sendText(input.value)) {
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
          ctx.close();
        } else if (event.key === "Tab" && fullScreen.matches) {
          keepFocusInside(event);
        }
      });
      panel.append(head, banner, scroll, chips, form);
      return {
        panel: panel, title: title, status: status, banner: banner, bannerText: bannerText,
        scroll: scroll, greeting: greeting, log: log, streams: streamBox, typing: typing,
        chips: chips, input: input
      };
    }

    function keepFocusInside(event) {
      // Full screen on a phone the panel is modal: Tab cycles inside it, never to the page
      // hidden behind.
      var focusable = [].filter.call(
        ui.panel.querySelectorAll("button, input, textarea, a[href]"),
        function (node) { return !node.disabled && node.getClientRects().length > 0; }
      );
      if (!focusable.length) return;
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      var active = ui.panel.getRootNode().activeElement;
      var inside = ui.panel.contains(active);
      if (event.shiftKey && (active === first || !inside)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (active === last || !inside)) {
        event.preventDefault();
        first.focus();
      }
    }

    function markModal() {
      if (fullScreen.matches) ui.panel.setAttribute("aria-modal", "true");
      else ui.panel.removeAttribute("aria-modal");
    }

    function show(moveFocus) {
      state.visible = true;
      state.unread = 0;
      fitViewport();
      writeStore({ open: true });
      scrollToEnd(true);
      if (moveFocus) ui.input.focus({ preventScroll: true });
      if (!ws && !state.halted) reconnectNow();
    }

    function hide() {
      state.visible = false;
      writeStore({ open: false });
    }

    function fitViewport() {
      // The on-screen keyboard shrinks the visual viewport; size the full-screen panel to it.
      var vv = w.visualViewport;
      if (!vv) return;
      ui.panel.style.setProperty("--fd-vh", Math.round(vv.height) + "px");
      ui.panel.style.setProperty("--fd-top", Math.round(vv.offsetTop) + "px");
    }

    function scrollToEnd(force) {
      var box = ui.scroll;
      if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 120) {
        box.scrollTop = box.scrollHeight;
      }
    }

    function timeLabel(iso) {
      var date = iso ? new Date(iso) : new Date();
      if (isNaN(date)) date = new Date();
      var node = attrs(el("time", "fd-time"), { datetime: date.toISOString() });
      try {
        node.textContent = date.toLocaleTimeString(settings.lang, { hour: "numeric", minute: "2-digit" });
      } catch (err) {
        node.textContent = date.toLocaleTimeString();
      }
      return node;
    }

    function bubbleFor(role, text, html) {
      var bubble = el("div", "fd-bubble");
      if (html && role !== "visitor") {
        bubble.classList.add("fd-html");
        bubble.appendChild(sanitize(html));
      } else {
        bubble.textContent = text || "";
      }
      return bubble;
    }

    function messageNode(frame) {
      var role = frame.role || "assistant";
      var item = el("div", "fd-msg fd-" + role);
      var who = { visitor: TEXT.you, staff: TEXT.staff, system: "" }[role];
      item.appendChild(el("span", "fd-sr", (who == null ? TEXT.assistant : who) + ": "));
      if (frame.text || frame.html) item.appendChild(bubbleFor(role, frame.text, frame.html));
      if (frame.card) item.appendChild(cardNode(frame.card));
      var cited = sourcesNode(frame.sources || []);
      if (cited) item.appendChild(cited);
      var meta = el("div", "fd-meta");
      meta.appendChild(timeLabel(frame.ts));
      if (role === "visitor") meta.appendChild(attrs(el("span", "fd-state"), { "aria-hidden": "true" }));
      item.appendChild(meta);
      return item;
    }

    // The one place an answer cites its pages: a link each, or the title alone when a page has
    // no address (a written answer); nothing at all, not even a heading, when there is none.
    function sourcesNode(sources) {
      var list = el("ul");
      sources.slice(0, 6).forEach(function (source) {
        if (!source) return;
        var href = safeUrl(source.url);
        var title = String(source.title || "").trim();
        if (!href && !title) return;
        var item = href
          ? attrs(el("a", null, title || href), { href: href, target: "_blank", rel: "noopener noreferrer" })
          : el("span", null, title);
        list.appendChild(el("li")).appendChild(item);
      });
      if (!list.children.length) return null;
      var box = el("div", "fd-sources");
      box.appendChild(el("span", "fd-sources-title", list.children.length > 1 ? TEXT.sources : TEXT.source));
      box.appendChild(list);
      return box;
    }

    function cardNode(card) {
      var box = el("div", "fd-card fd-card-" + String(card.type || "").replace(/[^a-z_]/g, ""));
      box.appendChild(el("p", "fd-card-title", CARD_TITLES[card.type] || "Booking"));
      var facts = el("dl");
      [["Service", card.service], ["When", card.visitor_time], ["Our time", card.business_time],
        ["Name", card.name], ["Email", card.email]].forEach(function (row) {
        if (!row[1] || (row[0] === "Our time" && row[1] === card.visitor_time)) return;
        facts.append(el("dt", null, row[0]), el("dd", null, row[1]));
      });
      box.appendChild(facts);
      var actions = el("div", "fd-card-actions");
      (card.actions || []).forEach(function (action, index) {
        var btn = attrs(el("button", index ? "fd-btn" : "fd-btn fd-primary", action.label), { type: "button" });
        btn.addEventListener("click", function () {
          disableButtons(box);
          sendAction(action.action, action.value, action.label);
        });
        actions.appendChild(btn);
      });
      var ics = safeUrl(card.ics_url);
      var manage = safeUrl(card.manage_url);
      if (ics) actions.appendChild(attrs(el("a", "fd-btn fd-primary", "Add to calendar"), { href: ics, download: "" }));
      if (manage) {
        actions.appendChild(attrs(el("a", "fd-btn", "Manage booking"), {
          href: manage, target: "_blank", rel: "noopener noreferrer"
        }));
      }
      if (actions.childNodes.length) box.appendChild(actions);
      if (/^booking_(confirmed|rescheduled|cancelled)$/.test(card.type)) {
        [].forEach.call(ui.log.querySelectorAll(".fd-card"), disableButtons);
        ctx.emit("booking", card);
      }
      return box;
    }

    function disableButtons(box) {
      [].forEach.call(box.querySelectorAll("button"), function (btn) {
        btn.disabled = true;
      });
    }

    function showChips(choices) {
      ui.chips.textContent = "";
      (choices || []).slice(0, 8).forEach(function (choice) {
        var chip = attrs(el("button", "fd-chip", choice.label), { type: "button" });
        chip.addEventListener("click", function () {
          sendAction(choice.action || "reply", choice.value, choice.label);
        });
        ui.chips.appendChild(chip);
      });
      ui.chips.hidden = !ui.chips.childNodes.length;
    }

    function insertBySeq(node, seq) {
      // Keep server order; visitor messages still waiting for their ack stay at the bottom.
      var before = null;
      for (var child = ui.log.lastElementChild; child; child = child.previousElementSibling) {
        var childSeq = Number(child.getAttribute("data-seq"));
        if (childSeq && childSeq < seq) break;
        before = child;
      }
      ui.log.insertBefore(node, before);
    }

    function markSent(item, seq) {
      item.classList.remove("fd-pending", "fd-failed");
      item.setAttribute("data-seq", String(seq));
      item.querySelector(".fd-state").textContent = TEXT.sent;
      state.bySeq[seq] = item;
    }

    function markFailed(id) {
      var item = state.pending[id];
      dropFromOutbox(id);
      if (!item) return;
      item.classList.remove("fd-pending");
      item.classList.add("fd-failed");
      var stateNode = item.querySelector(".fd-state");
      stateNode.textContent = TEXT.failed + " · ";
      var again = attrs(el("button", "fd-link", TEXT.resend), { type: "button" });
      stateNode.removeAttribute("aria-hidden");
      stateNode.appendChild(again);
      again.addEventListener("click", function () {
        item.remove();
        delete state.pending[id];
        sendText(item.querySelector(".fd-bubble").textContent);
      });
    }

    /* ---------- sending ---------- */

    function newId() {
      var bytes = new Uint8Array(9);
      (w.crypto || w.msCrypto).getRandomValues(bytes);
      return "c" + Date.now().toString(36) + [].map.call(bytes, function (b) {
        return (b + 256).toString(16).slice(1);
      }).join("");
    }

    function sendText(raw) {
      var text = String(raw == null ? "" : raw).trim();
      if (!text) return false;
      text = text.slice(0, MAX_CHARS);
      var id = newId();
      queueFrame({ type: "message", id: id, text: text }, text);
      return true;
    }

    function sendAction(name, value, label) {
      var id = newId();
      var shown = name === "reply" ? label || String(value) : null;
      queueFrame({ type: "action", id: id, name: name, value: value }, shown);
    }

    function queueFrame(frame, shownText) {
      showChips([]);
      if (shownText != null) {
        var item = messageNode({ role: "visitor", text: shownText });
        item.classList.add("fd-pending");
        item.setAttribute("data-id", frame.id);
        item.querySelector(".fd-state").textContent = TEXT.sending;
        state.pending[frame.id] = item;
        ui.log.appendChild(item);
        scrollToEnd(true);
      }
      state.outbox.push(frame);
      keepUnsent(frame.id, { frame: frame, shown: shownText, conversation: state.conversation,
        at: Date.now() });
      if (state.ready) transmit(frame);
    }

    function transmit(frame) {
      if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
    }

    function dropFromOutbox(id) {
      state.outbox = state.outbox.filter(function (frame) {
        return frame.id !== id;
      });
      keepUnsent(id, null);
    }

    /* Unacked frames are kept in storage too, so a page left right after sending resends them
       on the next page (the server stores a repeated id only once). Keyed by id: tabs of the
       same site each add and remove only their own. */
    function keepUnsent(id, entry) {
      var unsent = readStore().unsent || {};
      if (entry) unsent[id] = entry;
      else if (unsent[id]) delete unsent[id];
      else return;
      writeStore({ unsent: unsent });
    }

    function restoreUnsent(saved) {
      var unsent = saved.unsent || {};
      Object.keys(unsent).sort().slice(-UNSENT_MAX).forEach(function (id) {
        var entry = unsent[id] || {};
        var fresh = Date.now() - (entry.at || 0) < UNSENT_MAX_AGE_MS;
        var sameChat = !entry.conversation || entry.conversation === state.conversation;
        if (!entry.frame || entry.frame.id !== id || !fresh || !sameChat) return keepUnsent(id, null);
        if (!state.pending[id]) queueFrame(entry.frame, entry.shown);
      });
    }

    /* ---------- connection ---------- */

    function socketUrl() {
      return ctx.origin.replace(/^http/, "ws") + "/ws/chat?site=" + encodeURIComponent(settings.site);
    }

    function connect() {
      clearTimeout(retryTimer);
      if (ws || state.halted) return;
      var sock;
      try {
        sock = new WebSocket(socketUrl());
      } catch (err) {
        return scheduleReconnect();
      }
      ws = sock;
      state.ready = false;
      sock.onopen = function () {
        sock.send(JSON.stringify({
          type: "hello",
          visitor: state.visitor,
          conversation: state.conversation,
          after: state.lastSeq,
          // Origin and path only: query strings can carry tokens that are none of our business.
          page: { url: (location.origin + location.pathname).slice(0, 1000), title: d.title.slice(0, 200) },
          tz: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
          lang: settings.lang
        }));
      };
      sock.onmessage = function (event) {
        if (sock !== ws) return;
        state.heard = Date.now();
        var frame;
        try {
          frame = JSON.parse(event.data);
        } catch (err) {
          return;
        }
        if (frame && typeof frame.type === "string") handle(frame);
      };
      sock.onclose = function () {
        if (sock !== ws) return;
        ws = null;
        state.ready = false;
        clearInterval(pingTimer);
        scheduleReconnect();
      };
    }

    function watchdog() {
      // A half-open connection never fires `close`: give up on a socket silent for too long.
      if (Date.now() - state.heard < 70000) return transmit({ type: "ping" });
      var dead = ws;
      ws = null;
      state.ready = false;
      clearInterval(pingTimer);
      if (dead) dead.close();
      scheduleReconnect();
    }

    function scheduleReconnect() {
      if (state.halted) return;
      setConnection(navigator.onLine === false ? "offline" : "reconnecting");
      // Exponential backoff with jitter, so a server restart is not met by a stampede.
      var ceiling = Math.min(30000, 800 * Math.pow(2, state.attempt++));
      retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * ceiling / 2);
    }

    function reconnectNow() {
      state.attempt = 0;
      if (ws && ws.readyState > 1) ws = null;
      if (!ws) connect();
    }

    function restart() {
      // Drop the socket and start over with the credentials now in `state`.
      var old = ws;
      ws = null;
      if (old) old.close();
      resetTranscript();
      connect();
    }

    function setConnection(mode) {
      ui.panel.setAttribute("data-connection", mode);
      var problem = mode === "reconnecting" || mode === "offline" || mode === "unavailable";
      ui.banner.hidden = !problem;
      ui.banner.querySelector(".fd-retry").hidden = mode === "unavailable";
      ui.bannerText.textContent = { reconnecting: TEXT.reconnecting, offline: TEXT.offline,
        unavailable: TEXT.unavailable }[mode] || "";
      if (mode === "connecting") ui.status.textContent = TEXT.connecting;
      if (problem) ui.status.textContent = TEXT.offlineShort;
    }

    /* ---------- incoming frames ---------- */

    function handle(frame) {
      switch (frame.type) {
        case "welcome": return onWelcome(frame);
        case "ack": return onAck(frame);
        case "message": return onMessage(frame, false);
        case "delta": return onDelta(frame);
        case "typing": return showTyping(true);
        case "status": return showStatus(frame.status);
        case "error": return onError(frame);
        case "ping": return transmit({ type: "pong" });
      }
    }

    function onWelcome(frame) {
      var stored = readStore();
      if (stored.conversation && stored.conversation !== frame.conversation &&
          stored.conversation !== state.conversation) {
        // Another tab started a conversation meanwhile: join it rather than overwrite it.
        state.visitor = stored.visitor;
        state.conversation = stored.conversation;
        return restart();
      }
      if (state.conversation && frame.conversation !== state.conversation) resetTranscript();
      state.visitor = frame.visitor;
      state.conversation = frame.conversation;
      writeStore({ visitor: frame.visitor, conversation: frame.conversation });
      state.attempt = 0;
      state.ready = true;
      setConnection("online");
      var name = settings.title || (frame.site && frame.site.name) || "Chat";
      ui.title.textContent = name;
      ui.panel.setAttribute("aria-label", name + " chat");
      var greeting = settings.greeting || frame.greeting || "";
      ui.greeting.textContent = greeting;
      ui.greeting.hidden = !greeting;
      state.isOpen = frame.open !== false;
      showStatus(frame.status || "bot");
      (frame.messages || []).forEach(function (message) {
        onMessage(message, true);
      });
      scrollToEnd(true);
      state.outbox.forEach(transmit);
      clearInterval(pingTimer);
      state.heard = Date.now();
      pingTimer = setInterval(watchdog, 25000);
    }

    function onAck(frame) {
      dropFromOutbox(frame.id);
      var item = state.pending[frame.id];
      if (item && frame.seq) markSent(item, frame.seq);
      delete state.pending[frame.id];
    }

    function onMessage(frame, replay) {
      var seq = Number(frame.seq) || 0;
      if (seq) state.lastSeq = Math.max(state.lastSeq, seq);
      if (frame.reply && state.streams[frame.reply]) {
        state.streams[frame.reply].remove();
        delete state.streams[frame.reply];
      }
      if (seq && state.bySeq[seq]) return;
      if (frame.role === "visitor" && frame.id && state.pending[frame.id]) {
        var mine = state.pending[frame.id];
        if (frame.text) mine.querySelector(".fd-bubble").textContent = frame.text;
        dropFromOutbox(frame.id);
        delete state.pending[frame.id];
        return markSent(mine, seq);
      }
      showTyping(false);
      var item = messageNode(frame);
      if (seq) {
        item.setAttribute("data-seq", String(seq));
        state.bySeq[seq] = item;
        insertBySeq(item, seq);
      } else {
        ui.log.appendChild(item);
      }
      if (frame.role === "visitor" && seq) markSent(item, seq);
      showChips(frame.role === "visitor" ? [] : frame.choices);
      scrollToEnd(!replay);
      if (!replay && !state.visible && frame.role !== "visitor") ctx.unread(++state.unread);
      if (!replay) ctx.emit("message", frame);
    }

    function onDelta(frame) {
      if (!frame.reply || typeof frame.text !== "string") return;
      showTyping(false);
      var bubble = state.streams[frame.reply];
      if (!bubble) {
        bubble = el("div", "fd-msg fd-assistant fd-streaming");
        bubble.appendChild(el("div", "fd-bubble"));
        state.streams[frame.reply] = bubble;
        ui.streams.appendChild(bubble);
      }
      bubble.firstChild.textContent += frame.text;
      scrollToEnd(false);
    }

    function showTyping(on) {
      clearTimeout(typingTimer);
      ui.typing.hidden = !on;
      if (on) {
        typingTimer = setTimeout(function () {
          ui.typing.hidden = true;
        }, 20000);
        scrollToEnd(false);
      }
    }

    function showStatus(status) {
      var text = { needs_human: TEXT.human, staff: TEXT.withStaff, closed: TEXT.ended }[status];
      ui.status.textContent = text || (state.isOpen ? TEXT.online : TEXT.closedNow);
      ui.panel.setAttribute("data-status", status || "bot");
    }

    function onError(frame) {
      if (frame.code === "unknown_site" || frame.code === "forbidden") {
        state.halted = true;
        setConnection("unavailable");
        if (ws) ws.close();
        return;
      }
      if (frame.id) markFailed(frame.id);
      showTyping(false);
      var last = ui.log.lastElementChild;
      // The server often explains a failure with a stored system message already: say it once.
      if (frame.code === "internal" && last && last.classList.contains("fd-system")) return;
      var note = el("div", "fd-msg fd-system");
      note.appendChild(el("div", "fd-bubble", frame.message || "Something went wrong."));
      ui.log.appendChild(note);
      scrollToEnd(true);
    }

    function resetTranscript() {
      ui.log.textContent = "";
      ui.streams.textContent = "";
      state.bySeq = {};
      state.streams = {};
      state.lastSeq = 0;
      Object.keys(state.pending).forEach(function (id) {
        ui.log.appendChild(state.pending[id]);
      });
    }

    /* ---------- storage (only ever written once the panel has been opened) ---------- */

    function readStore() {
      try {
        return JSON.parse(localStorage.getItem(settings.storageKey) || "{}") || {};
      } catch (err) {
        return {};
      }
    }

    function writeStore(patch) {
      var data = readStore();
      Object.keys(patch).forEach(function (key) {
        data[key] = patch[key];
      });
      try {
        localStorage.setItem(settings.storageKey, JSON.stringify(data));
      } catch (err) {
        /* storage full or blocked: the chat still works for this page */
      }
    }

    function onStorage(event) {
      if (event.key !== settings.storageKey) return;
      var stored = readStore();
      if (stored.conversation && stored.conversation !== state.conversation && !state.outbox.length) {
        state.visitor = stored.visitor;
        state.conversation = stored.conversation;
        restart();
      }
    }
  }
})(window, document);
