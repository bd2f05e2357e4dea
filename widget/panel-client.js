/* Panel client: the chat socket, the outbox and its acks, reconnection with backoff. Draws
   nothing: it tells the view (panel-ui.js) what happened: connection(mode), outgoing(frame,
   shown), welcome(frame), message(frame, replay) (true: this tab's own message, which leaves
   the outbox), caughtUp(), ack, delta, discard, typing, status, error(frame), reset().
   A part of panel.js (w = window, d = document). */

var MAX_CHARS = 2000; // the longest message the composer takes and the client sends

function createClient(settings, origin) {
  var state = {
    visitor: null,
    conversation: null,
    lastSeq: 0,
    outbox: [],
    attempt: 0,
    halted: false,
    ready: false,
    heard: 0
  };
  var store = createStore(settings.storageKey);
  var view = null;
  var ws = null;
  var retryTimer = 0;
  var pingTimer = 0;
  return {
    start: start,
    sendText: sendText,
    sendAction: sendAction,
    reconnectNow: reconnectNow,
    setOpen: setOpen
  };

  /* Attach the view, take the stored credentials, requeue unsent frames and connect. */
  function start(target) {
    view = target;
    w.addEventListener("storage", onStorage);
    w.addEventListener("online", reconnectNow);
    w.addEventListener("offline", function () {
      view.connection("offline");
    });
    var saved = store.read();
    state.visitor = saved.visitor || null;
    state.conversation = saved.conversation || null;
    store.unsentFor(saved, state.conversation).forEach(function (entry) {
      queueFrame(entry.frame, entry.shown);
    });
    connect();
  }

  /* Remember whether the panel is open (it reopens after navigation); opening also reconnects. */
  function setOpen(open) {
    store.write({ open: open });
    if (open && !ws && !state.halted) reconnectNow();
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
    view.outgoing(frame, shownText);
    state.outbox.push(frame);
    store.keepUnsent(frame.id, { frame: frame, shown: shownText, conversation: state.conversation,
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
    store.keepUnsent(id, null);
  }

  /* ---------- connection ---------- */

  function socketUrl() {
    return origin.replace(/^http/, "ws") + "/ws/chat?site=" + encodeURIComponent(settings.site);
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
    view.connection(navigator.onLine === false ? "offline" : "reconnecting");
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

  function resetTranscript() {
    state.lastSeq = 0;
    view.reset();
  }

  /* ---------- incoming frames ---------- */

  function handle(frame) {
    switch (frame.type) {
      case "welcome": return onWelcome(frame);
      case "ack": return onAck(frame);
      case "message": return onMessage(frame, false);
      case "delta": return view.delta(frame);
      case "discard": return view.discard(frame);
      case "typing": return view.typing();
      case "status": return view.status(frame.status);
      case "error": return onError(frame);
      case "ping": return transmit({ type: "pong" });
    }
  }

  function onWelcome(frame) {
    var stored = store.read();
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
    store.write({ visitor: frame.visitor, conversation: frame.conversation });
    state.attempt = 0;
    state.ready = true;
    view.connection("online");
    view.welcome(frame);
    (frame.messages || []).forEach(function (message) {
      onMessage(message, true);
    });
    view.caughtUp();
    state.outbox.forEach(transmit);
    clearInterval(pingTimer);
    state.heard = Date.now();
    pingTimer = setInterval(watchdog, 25000);
  }

  function onAck(frame) {
    dropFromOutbox(frame.id);
    view.ack(frame);
  }

  function onMessage(frame, replay) {
    var seq = Number(frame.seq) || 0;
    if (seq) state.lastSeq = Math.max(state.lastSeq, seq);
    if (view.message(frame, replay)) dropFromOutbox(frame.id);
  }

  function onError(frame) {
    if (frame.code === "unknown_site" || frame.code === "forbidden") {
      state.halted = true;
      view.connection("unavailable");
      if (ws) ws.close();
      return;
    }
    if (frame.id) dropFromOutbox(frame.id);
    view.error(frame);
  }

  /* Another tab of the site stored a different conversation: join it, unless still sending. */
  function onStorage(event) {
    if (event.key !== settings.storageKey) return;
    var stored = store.read();
    if (stored.conversation && stored.conversation !== state.conversation && !state.outbox.length) {
      state.visitor = stored.visitor;
      state.conversation = stored.conversation;
      restart();
    }
  }
}
