/* Panel UI, building blocks: the words in the visitor's language, DOM helpers, the HTML allowlist and one message's nodes
   (bubble, sources, booking card, time); each returns a new node and changes nothing else.
   A part of panel.js (w = window, d = document). */

/* The visitor's words: TEXTS (from widget/strings/*.json) in their language, by the same
   chain the server uses: the whole tag ("pt-br"), its base ("fr-CA" -> "fr"), then English;
   a word a language lacks is the English one. */
var TEXT = TEXTS.en;

function useLanguage(lang) {
  var parts = String(lang || "").toLowerCase().replace(/_/g, "-").split("-");
  for (var n = parts.length; n > 0; n--) {
    var table = TEXTS[parts.slice(0, n).join("-")];
    if (table) return (TEXT = Object.assign({}, TEXTS.en, table));
  }
  return (TEXT = TEXTS.en);
}

var FINAL_CARD = /^booking_(confirmed|rescheduled|cancelled)$/; // a booking was made, moved or cancelled
var ALLOWED_TAGS = /^(A|B|BLOCKQUOTE|BR|CODE|DEL|EM|H[1-6]|HR|I|LI|OL|P|PRE|S|SPAN|STRONG|SUB|SUP|TABLE|TBODY|TD|TH|THEAD|TR|U|UL)$/;

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

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map(function (word) {
    return word.charAt(0).toUpperCase();
  }).join("");
}

/* One clock style in the panel: the server's ("12h": "2:30 pm", "24h": "14:30"), which its
   chips and cards are written in; until the welcome says it, the locale's own hour cycle. */
function clockStyle(lang) {
  try {
    var cycle = new Intl.DateTimeFormat(lang, { hour: "numeric" }).resolvedOptions().hourCycle;
    return cycle === "h11" || cycle === "h12" ? "12h" : "24h";
  } catch (err) {
    return "24h";
  }
}

function clockText(date, clock) {
  var hour = date.getHours();
  var minute = (date.getMinutes() < 10 ? ":0" : ":") + date.getMinutes();
  if (clock !== "12h") return (hour < 10 ? "0" : "") + hour + minute;
  return (hour % 12 || 12) + minute + (hour < 12 ? " am" : " pm");
}

function timeLabel(iso, clock) {
  var date = iso ? new Date(iso) : new Date();
  if (isNaN(date)) date = new Date();
  var node = attrs(el("time", "fd-time"), { datetime: date.toISOString() });
  node.textContent = clockText(date, clock);
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

/* One message of the log: who said it (for screen readers), bubble, card, sources, time.
   A person from the team is named, with their initials, so nobody takes them for the bot. */
function messageNode(frame, clock, onAction) {
  var role = frame.role || "assistant";
  var item = el("div", "fd-msg fd-" + role);
  var name = role === "staff" ? String(frame.author || "").trim() || TEXT.staff : "";
  var who = { visitor: TEXT.you, staff: name + TEXT.fromTeam, system: "" }[role];
  if (who !== "") item.appendChild(el("span", "fd-sr", (who == null ? TEXT.assistant : who) + ": "));
  if (name) {
    var head = attrs(el("div", "fd-author"), { "aria-hidden": "true" });
    head.append(el("span", "fd-avatar", initials(name)), el("span", null, name));
    item.appendChild(head);
  }
  if (frame.text || frame.html) item.appendChild(bubbleFor(role, frame.text, frame.html));
  if (frame.card) item.appendChild(cardNode(frame.card, onAction));
  var cited = sourcesNode(frame.sources || []);
  if (cited) item.appendChild(cited);
  var meta = el("div", "fd-meta");
  meta.appendChild(timeLabel(frame.ts, clock));
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

function cardNode(card, onAction) {
  var box = el("div", "fd-card fd-card-" + String(card.type || "").replace(/[^a-z_]/g, ""));
  var title = /^(booking|reschedule|cancel)_[a-z]+$/.test(card.type) && TEXT[card.type];
  box.appendChild(el("p", "fd-card-title", title || TEXT.booking));
  var facts = el("dl");
  // "With": whom the visitor meets (a team's host, or several together); the note says when a
  // round-robin pick is settled on Confirm or why the host changes on a reschedule.
  var host = card.host ? String(card.host) + (card.host_note ? " (" + String(card.host_note) + ")" : "") : "";
  var ours = card.business_time === card.visitor_time ? "" : card.business_time;
  [[TEXT.service, card.service], [TEXT.with, host], [TEXT.when, card.visitor_time],
    [TEXT.ourTime, ours], [TEXT.name, card.name], [TEXT.email, card.email]].forEach(function (row) {
    if (!row[1]) return;
    facts.append(el("dt", null, row[0]), el("dd", null, row[1]));
  });
  box.appendChild(facts);
  var actions = el("div", "fd-card-actions");
  (card.actions || []).forEach(function (action, index) {
    var first = card.type === "cancel_proposal" ? "fd-btn fd-danger" : "fd-btn fd-primary";
    var btn = attrs(el("button", index ? "fd-btn" : first, action.label), { type: "button" });
    btn.addEventListener("click", function () {
      disableButtons(box);
      onAction(action.action, action.value, action.label);
    });
    actions.appendChild(btn);
  });
  var ics = safeUrl(card.ics_url);
  var manage = safeUrl(card.manage_url);
  if (ics) actions.appendChild(attrs(el("a", "fd-btn fd-primary", TEXT.addToCalendar), { href: ics, download: "" }));
  if (manage) {
    actions.appendChild(attrs(el("a", "fd-btn", TEXT.manageBooking), {
      href: manage, target: "_blank", rel: "noopener noreferrer"
    }));
  }
  if (actions.childNodes.length) box.appendChild(actions);
  return box;
}

function disableButtons(box) {
  [].forEach.call(box.querySelectorAll("button"), function (btn) {
    btn.disabled = true;
  });
}
