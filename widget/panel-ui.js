/* Panel UI: draws what the client (panel-client.js) reports (messages in server order, the
   visitor's own marked sending / sent / not sent, streams, typing, chips, status, banner,
   unread) and hands the client what the visitor sends. Opens no socket, stores nothing.
   A part of panel.js (w = window, d = document). */

/* `ctx` comes from the loader (frame, launcher, settings, close, emit, unread); `client` is
   what the visitor's input goes to (sendText, sendAction, reconnectNow). */
function createView(ctx, client) {
  var settings = ctx.settings;
  var state = { bySeq: {}, pending: {}, streams: {}, unread: 0, visible: false, isOpen: false,
    clock: clockStyle(settings.lang) };
  var typingTimer = 0;
  var ui = buildPanel(settings, { close: ctx.close, retry: client.reconnectNow, send: client.sendText });
  ctx.frame.insertBefore(ui.panel, ctx.launcher);
  return {
    show: show,
    hide: hide,
    connection: setConnection,
    outgoing: outgoing,
    welcome: onWelcome,
    caughtUp: function () {
      scrollToEnd(true);
    },
    message: onMessage,
    ack: onAck,
    delta: onDelta,
    discard: onDiscard,
    typing: function () {
      showTyping(true);
    },
    status: showStatus,
    error: onError,
    reset: resetTranscript
  };

  /* ---------- the panel ---------- */

  function show(moveFocus) {
    state.visible = true;
    state.unread = 0;
    ui.fit();
    scrollToEnd(true);
    if (moveFocus) ui.input.focus({ preventScroll: true });
  }

  function hide() {
    state.visible = false;
  }

  function scrollToEnd(force) {
    var box = ui.scroll;
    if (force || box.scrollHeight - box.scrollTop - box.clientHeight < 120) {
      box.scrollTop = box.scrollHeight;
    }
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

  function showChips(choices) {
    ui.chips.textContent = "";
    var group = "";
    (choices || []).slice(0, 12).forEach(function (choice) {
      // Times come grouped by day: the day is said once, above its times.
      if (choice.group && choice.group !== group) {
        group = choice.group;
        ui.chips.appendChild(el("p", "fd-chip-group", group));
      }
      var named = choice.group ? choice.group.split(" · ")[0] + ", " + choice.label : choice.label;
      var chip = attrs(el("button", "fd-chip", choice.label), { type: "button" });
      if (choice.group) chip.setAttribute("aria-label", named);
      chip.addEventListener("click", function () {
        // Shown as the visitor's message: the chip's own words in their language when it has them.
        client.sendAction(choice.action || "reply", choice.value, choice.text || named);
      });
      ui.chips.appendChild(chip);
    });
    ui.chips.hidden = !ui.chips.childNodes.length;
  }

  /* ---------- the log ---------- */

  function outgoing(frame, shownText) {
    showChips([]);
    if (shownText == null) return;
    var item = messageNode({ role: "visitor", text: shownText }, state.clock, client.sendAction);
    item.classList.add("fd-pending");
    item.setAttribute("data-id", frame.id);
    item.querySelector(".fd-state").textContent = TEXT.sending;
    state.pending[frame.id] = item;
    ui.log.appendChild(item);
    scrollToEnd(true);
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
      client.sendText(item.querySelector(".fd-bubble").textContent);
    });
  }

  function onWelcome(frame) {
    var name = settings.title || (frame.site && frame.site.name) || "Chat";
    ui.title.textContent = name;
    ui.panel.setAttribute("aria-label", TEXT.panelLabel.replace("{title}", name));
    var greeting = settings.greeting || frame.greeting || "";
    ui.greeting.textContent = greeting;
    ui.greeting.hidden = !greeting;
    state.isOpen = frame.open !== false;
    if (frame.clock === "12h" || frame.clock === "24h") state.clock = frame.clock;
    [].forEach.call(ui.log.querySelectorAll("time.fd-time"), function (node) {
      node.textContent = clockText(new Date(node.getAttribute("datetime")), state.clock);
    });
    showStatus(frame.status || "bot");
    // A conversation with nothing in it yet: the server's starter chips under the greeting.
    if (!(frame.messages || []).length && !ui.log.querySelector(".fd-msg")) showChips(frame.choices);
  }

  function onAck(frame) {
    var item = state.pending[frame.id];
    if (item && frame.seq) markSent(item, frame.seq);
    delete state.pending[frame.id];
  }

  function onMessage(frame, replay) {
    var seq = Number(frame.seq) || 0;
    if (frame.reply && state.streams[frame.reply]) {
      state.streams[frame.reply].remove();
      delete state.streams[frame.reply];
    }
    if (seq && state.bySeq[seq]) return false;
    if (frame.role === "visitor" && frame.id && state.pending[frame.id]) {
      var mine = state.pending[frame.id];
      if (frame.text) mine.querySelector(".fd-bubble").textContent = frame.text;
      delete state.pending[frame.id];
      markSent(mine, seq);
      return true; // the client's outbox can let it go
    }
    showTyping(false);
    var item = messageNode(frame, state.clock, client.sendAction);
    if (frame.card && FINAL_CARD.test(frame.card.type)) {
      // Earlier proposals can no longer be confirmed; the page may want to know (analytics).
      [].forEach.call(ui.log.querySelectorAll(".fd-card"), disableButtons);
      ctx.emit("booking", frame.card);
    }
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
    return false;
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

  /* The reply's stream broke: what it showed is void (the server streams it again or falls back). */
  function onDiscard(frame) {
    var bubble = frame.reply && state.streams[frame.reply];
    if (!bubble) return;
    bubble.remove();
    delete state.streams[frame.reply];
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
    var human = state.isOpen ? TEXT.human : TEXT.humanLater;
    var text = { needs_human: human, staff: TEXT.withStaff, closed: TEXT.ended }[status];
    ui.status.textContent = text || (state.isOpen ? TEXT.online : TEXT.closedNow);
    ui.panel.setAttribute("data-status", status || "bot");
  }

  function onError(frame) {
    if (frame.id) markFailed(frame.id);
    showTyping(false);
    var last = ui.log.lastElementChild;
    // The server often explains a failure with a stored system message already: say it once.
    if (frame.code === "internal" && last && last.classList.contains("fd-system")) return;
    var note = el("div", "fd-msg fd-system fd-error");
    // Our own words for the codes a visitor can meet (the server's `message` is for developers).
    var code = String(frame.code || "").replace(/[^a-z_]/g, "");
    note.appendChild(el("div", "fd-bubble", TEXT["error_" + code] || TEXT.error));
    ui.log.appendChild(note);
    scrollToEnd(true);
  }

  function resetTranscript() {
    ui.log.textContent = "";
    ui.streams.textContent = "";
    state.bySeq = {};
    state.streams = {};
    Object.keys(state.pending).forEach(function (id) {
      ui.log.appendChild(state.pending[id]);
    });
  }
}
