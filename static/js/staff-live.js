/* Staff dashboard live updates over /ws/staff: the "needs a human" queue and, on a
   conversation page, new transcript entries and replies sent without reloading.
   Plain JS, no inline code (CSP). Everything from the server is inserted as text. */
(function () {
  "use strict";
  var root = document.getElementById("staff-live");
  if (!root || !window.WebSocket) { return; }
  var site = root.dataset.site;
  var conversation = root.dataset.conversation || "";
  var detailBase = root.dataset.detailBase || "";
  var stateLabel = document.getElementById("live-state");
  var socket = null;
  var retry = 1000;
  var pending = {};
  var STATUS_LABELS = { bot: "Assistant", needs_human: "Needs a human", staff: "Staff", closed: "Closed" };

  function setLive(text) { if (stateLabel) { stateLabel.textContent = text; } root.dataset.state = text; }

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
    socket.onopen = function () { retry = 1000; setLive("(live)"); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function () {
      socket = null;
      setLive("(reconnecting)");
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
      frame.queue.forEach(updateQueue);
      (frame.messages || []).forEach(conversationFrame);  // what a reconnect missed
      return;
    }
    if (frame.type === "queue") { if (frame.item) { updateQueue(frame.item); } return; }
    if (frame.type === "conversation") { conversationFrame(frame.frame); return; }
    if (frame.type === "ack") { replySent(frame.id); return; }
    if (frame.type === "error") { replyFailed(frame.id, frame.message); }
  }

  /* -- the queue ------------------------------------------------------------------------ */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function updateQueue(item) {
    var list = document.getElementById("queue-list");
    if (!list) { return; }
    var existing = list.querySelector('li[data-conversation="' + CSS.escape(item.id) + '"]');
    var waiting = (item.status === "needs_human" || item.flagged) && item.status !== "closed";
    if (existing) { existing.remove(); }
    if (waiting) {
      var li = el("li");
      li.dataset.conversation = item.id;
      li.appendChild(el("span", "status status--" + item.status, item.status_label));
      if (item.flagged) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "flag", "Flagged")); }
      li.appendChild(document.createTextNode(" "));
      var link = el("a", "", item.preview || "(no message yet)");
      link.href = detailBase + encodeURIComponent(item.id);
      li.appendChild(link);
      li.appendChild(document.createTextNode(" "));
      var time = el("time", "muted", item.updated_label);
      time.setAttribute("datetime", item.updated);
      li.appendChild(time);
      list.insertBefore(li, list.firstChild);
    }
    var empty = document.getElementById("queue-empty");
    if (empty) { empty.hidden = list.children.length > 0; }
  }

  /* -- a conversation's transcript ---------------------------------------------------------- */
  function conversationFrame(frame) {
    if (frame.type === "status") { showStatus(frame.status); return; }
    if (frame.type !== "message") { return; }
    var log = document.getElementById("transcript");
    if (!log || log.querySelector('li[data-seq="' + frame.seq + '"]')) { return; }
    var li = el("li", "entry entry--" + frame.role);
    li.dataset.seq = frame.seq;
    var head = el("div", "entry-head");
    head.appendChild(el("span", "role", frame.role.charAt(0).toUpperCase() + frame.role.slice(1)));
    li.appendChild(head);
    li.appendChild(el("div", "entry-body entry-text", frame.text));
    var after = null;
    Array.prototype.some.call(log.children, function (child) {
      if (+child.dataset.seq > frame.seq) { after = child; return true; }
      return false;
    });
    log.insertBefore(li, after);
  }

  function showStatus(status) {
    var badge = document.getElementById("conversation-status");
    if (!badge) { return; }
    badge.dataset.status = status;
    badge.className = "status status--" + status;
    badge.textContent = STATUS_LABELS[status] || status;
  }

  /* -- replies over the socket (the form still posts normally when offline) ---------------- */
  var form = document.getElementById("reply-form");
  var note = null;
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
        box.value = "";
        formNote("Sending…");
      }
    });
  }

  setLive("(connecting)");
  connect();
}());
