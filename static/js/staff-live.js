/* The dashboard's live line over /ws/staff, on every page of a site: the count of people
   waiting (sidebar, tab title), desktop alerts with a sound when someone asks for a person
   (off until staff turn them on), and on the inbox the list and the open conversation kept
   current. Plain JS, no inline code (CSP); server text goes in as text, message HTML is the
   server's sanitized rendering. */
(function () {
  "use strict";
  var root = document.getElementById("staff-live");
  if (!root || !window.WebSocket) { return; }
  var site = root.dataset.site;
  var detailBase = root.dataset.detailBase || "";
  var inbox = document.getElementById("inbox-state");
  var conversation = inbox ? inbox.dataset.conversation || "" : "";
  var view = inbox ? inbox.dataset.view || "all" : "all";
  var filtering = inbox ? !!(inbox.dataset.query || inbox.dataset.statusFilter) : false;
  var list = document.getElementById("conv-list");
  var stateLabel = document.getElementById("live-state");
  var baseTitle = document.title;
  var socket = null;
  var retry = 1000;
  var pending = {};
  var waitingIds = null;  // known after `ready`: who was already waiting (no alert for them)

  function setLive(state, text) {
    root.dataset.state = state;
    if (stateLabel) { stateLabel.textContent = text; stateLabel.dataset.live = state === "live" ? "yes" : "no"; }
  }

  function url() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var query = "?site=" + encodeURIComponent(site);
    if (conversation) {
      query += "&conversation=" + encodeURIComponent(conversation) + "&after=" + lastSeq();
    }
    return scheme + location.host + "/ws/staff" + query;
  }

  function lastSeq() {
    var seqs = Array.prototype.map.call(
      document.querySelectorAll("#transcript li[data-seq]"), function (li) { return +li.dataset.seq; });
    return seqs.length ? Math.max.apply(null, seqs) : 0;
  }

  function connect() {
    socket = new WebSocket(url());
    socket.onopen = function () { retry = 1000; setLive("live", "Live"); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function () {
      socket = null;
      setLive("reconnecting", "Reconnecting…");
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { return false; }
    socket.send(JSON.stringify(frame));
    return true;
  }

  function handle(frame) {
    if (frame.type === "ping") { send({ type: "pong" }); return; }
    if (frame.type === "ready") {
      var first = waitingIds === null;
      if (first) { waitingIds = {}; }
      frame.queue.forEach(function (item) {
        if (!first && !waitingIds[item.id]) { alertFor(item); }
        waitingIds[item.id] = true;
        upsert(item);
      });
      setWaiting(frame.waiting);
      (frame.messages || []).forEach(conversationFrame);  // what a reconnect missed
      return;
    }
    if (frame.type === "queue") {
      if (frame.item) { track(frame.item); upsert(frame.item); }
      if (typeof frame.waiting === "number") { setWaiting(frame.waiting); }
      return;
    }
    if (frame.type === "conversation") { conversationFrame(frame.frame); return; }
    if (frame.type === "ack") { replySent(frame.id); return; }
    if (frame.type === "error") { replyFailed(frame.id, frame.message); }
  }

  /* -- people waiting: counts, title, alerts ------------------------------------------------ */
  function setWaiting(count) {
    document.querySelectorAll("[data-waiting-count], #waiting-count").forEach(function (badge) {
      var number = badge.querySelector("[data-waiting-number]") || badge;
      number.textContent = String(count);
      badge.hidden = !count;
    });
    document.title = count ? "(" + count + ") " + baseTitle : baseTitle;
    root.dataset.waiting = String(count);
  }

  function track(item) {
    if (waitingIds === null) { return; }
    if (item.waiting && !waitingIds[item.id]) { alertFor(item); }
    if (item.waiting) { waitingIds[item.id] = true; } else { delete waitingIds[item.id]; }
  }

  function alertFor(item) {
    root.dataset.alerted = (root.dataset.alerted ? root.dataset.alerted + " " : "") + item.id;
    if (window.FrontdeskAlerts) { window.FrontdeskAlerts.raise(item, detailBase + encodeURIComponent(item.id)); }
  }

  /* -- the inbox list ------------------------------------------------------------------------ */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function matchesView(item) {
    if (view === "waiting") { return item.waiting; }
    if (view === "live") { return item.live; }
    if (view === "booked") { return item.bookings > 0; }
    if (view === "flagged") { return item.flagged; }
    if (view === "closed") { return item.status === "closed"; }
    return true;
  }

  function row(item) { return window.FrontdeskInboxRow(item, detailBase, conversation); }

  function before(a, b) {  // list order: waiting first, then newest activity
    if (a.waiting !== b.waiting) { return a.waiting; }
    return a.updated > b.updated;
  }

  function upsert(item) {
    if (!list) { return; }
    var existing = list.querySelector('li[data-conversation="' + CSS.escape(item.id) + '"]');
    if (!existing && (filtering || !matchesView(item))) { return; }
    if (existing && !matchesView(item) && !filtering) { existing.remove(); showEmpty(); return; }
    var fresh = row(item);
    if (existing && existing.dataset.updated !== item.updated) { fresh.classList.add("conv-item--fresh"); }
    if (!existing) { fresh.classList.add("conv-item--fresh"); }
    var focused = existing && existing.contains(document.activeElement);
    if (existing) { existing.remove(); }
    var next = null;
    Array.prototype.some.call(list.children, function (child) {
      var other = { waiting: child.classList.contains("conv-item--waiting"), updated: child.dataset.updated };
      if (before({ waiting: item.waiting, updated: item.updated }, other)) { next = child; return true; }
      return false;
    });
    list.insertBefore(fresh, next);
    if (focused) { fresh.querySelector("a").focus(); }
    showEmpty();
  }

  function showEmpty() {
    var empty = document.getElementById("inbox-empty");
    if (empty && list) { empty.hidden = list.children.length > 0; }
  }

  /* -- the open conversation ------------------------------------------------------------------ */
  /* A message frame only says something was added: the entries after the last one shown are
     fetched as the server draws them on the page (staff/_entries.html), so a live entry is
     the same as after a reload (card line, tool calls, rating). One fetch at a time; a frame
     arriving meanwhile fetches again when it is done. */
  var fetching = false;
  var again = false;
  var fetchRetry = 1000;

  function conversationFrame(frame) {
    if (frame.type === "status") { showStatus(frame.status); return; }
    if (frame.type !== "message") { return; }
    var log = document.getElementById("transcript");
    if (!log || frame.seq <= lastSeq()) { return; }
    fetchEntries(log);
  }

  function fetchEntries(log) {
    if (fetching) { again = true; return; }
    fetching = true;
    again = false;
    var after = lastSeq();
    var wait = 0;
    fetch(log.dataset.entries + "?after=" + after, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text().then(function (html) {
          return [html, response.headers.get("X-Visitor-Name"), response.headers.get("X-Visitor-Known") === "yes"];
        });
      })
      .then(function (got) {
        fetchRetry = 1000;
        if (after === lastSeq()) { addEntries(log, got[0]); }
        if (got[1]) { nameVisitor(log, decodeURIComponent(got[1]), got[2]); }
      })
      .catch(function () {  // a dropped request: again, more slowly each time
        again = true;
        wait = fetchRetry;
        fetchRetry = Math.min(fetchRetry * 2, 30000);
      })
      .then(function () {
        fetching = false;
        if (again) { setTimeout(function () { fetchEntries(log); }, wait); }
      });
  }

  /* A booking may have named the visitor since the page was drawn: their entries say so. */
  function nameVisitor(log, name, known) {
    log.querySelectorAll(".entry--visitor .role").forEach(function (role) { role.textContent = name; });
    var title = document.getElementById("conv-title");
    var avatar = document.querySelector(".conv__who .avatar");
    if (!known || !title || title.textContent === name) { return; }
    title.textContent = name;
    if (avatar) { avatar.textContent = name.charAt(0).toUpperCase(); avatar.classList.remove("avatar--anon"); }
  }

  function addEntries(log, html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;  // our own page's HTML: messages rendered and sanitized by the server
    if (!holder.content.querySelector("li[data-seq]")) { return; }
    var pane = scroller();
    var atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 80;
    log.appendChild(holder.content);
    // Your own reply always comes into view, and so does whatever follows it while you wait
    // (the box that scrolls is asked again: the new entries may have made it overflow).
    if (atBottom || replying) { pane = scroller(); pane.scrollTop = pane.scrollHeight; }
    seen(lastSeq());
  }

  /* Whichever box scrolls the transcript at this width: its own pane, the body, or the page. */
  function scroller() {
    var boxes = [document.querySelector(".conv__transcript"), document.querySelector(".conv__body")];
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box && /(auto|scroll)/.test(getComputedStyle(box).overflowY) &&
          box.scrollHeight > box.clientHeight) { return box; }
    }
    return document.scrollingElement || document.documentElement;
  }

  function seen(seq) {
    if (!conversation || document.visibilityState !== "visible") { return; }
    send({ type: "seen", conversation: conversation, seq: seq });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && conversation) { seen(lastSeq()); }
  });

  function showStatus(status) {
    var state = document.getElementById("conversation-status");
    if (state) { state.dataset.status = status; }
    var reply = document.getElementById("reply-form");
    if (reply) { reply.dataset.status = status; }
  }

  /* -- replies over the socket (the form still posts normally when offline) ---------------- */
  var form = document.getElementById("reply-form");
  var note = null;
  var replying = false;  // since this page sent a reply: keep the transcript at its end
  function formNote(text) {
    if (!form) { return; }
    if (!note) { note = el("p", "reply-note"); note.setAttribute("role", "status"); form.appendChild(note); }
    note.textContent = text;
  }
  function replySent(id) {
    if (!pending[id]) { return; }
    delete pending[id];
    formNote("Sent.");
  }
  function replyFailed(id, message) {
    if (id && pending[id]) {
      form.querySelector("textarea").value = pending[id];
      delete pending[id];
    }
    formNote("Not sent: " + message);
  }
  if (form && conversation) {
    form.addEventListener("submit", function (event) {
      var box = form.querySelector("textarea");
      var text = box.value.trim();
      if (!text) { return; }
      var id = "s" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
      if (send({ type: "reply", id: id, conversation: conversation, text: text })) {
        event.preventDefault();
        pending[id] = text;
        replying = true;
        box.value = "";
        formNote("Sending…");
      }
    });
    form.querySelector("textarea").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    var start = scroller();
    start.scrollTop = start.scrollHeight;  // open at the newest message
  }

  setLive("connecting", "Connecting…");
  connect();
}());
