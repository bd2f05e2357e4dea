/* One row of the inbox list, drawn as staff/_inbox_row.html draws it on the page (keep the
   two alike): staff-live.js adds and moves rows with it as the socket reports changes.
   Plain JS, no inline code (CSP); the server's text goes in as text. */
(function () {
  "use strict";

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function badge(className, text) { return el("span", "badge " + className, text); }

  window.FrontdeskInboxRow = function (item, detailBase, conversation) {
    var li = el("li", "conv-item" + (item.waiting ? " conv-item--waiting" : ""));
    li.dataset.conversation = item.id;
    li.dataset.updated = item.updated;
    var link = el("a", "conv-item__link");
    link.href = detailBase + encodeURIComponent(item.id) + location.search;
    if (item.id === conversation) { link.setAttribute("aria-current", "page"); }
    var face = el("span", "conv-item__avatar");
    var avatar = el("span", "avatar" + (item.visitor.known ? "" : " avatar--anon"),
      item.visitor.known ? item.visitor.name.charAt(0).toUpperCase() : "?");
    avatar.setAttribute("aria-hidden", "true");
    face.appendChild(avatar);
    if (item.live) {
      var presence = el("span", "badge live-dot conv-item__presence");
      presence.title = "On the site now";
      presence.appendChild(el("span", "visually-hidden", "Live"));
      face.appendChild(presence);
    }
    var main = el("span", "conv-item__main");
    var top = el("span", "conv-item__top");
    top.appendChild(el("span", "conv-item__who", item.visitor.name));
    var time = el("time", "conv-item__time", item.updated_label);
    time.setAttribute("datetime", item.updated);
    top.appendChild(time);
    var who = item.preview_role === "assistant" ? "Assistant: " : item.preview_role === "staff" ? "Staff: " : "";
    var line = el("span", "conv-item__line");
    line.appendChild(el("span", "conv-item__preview", who + (item.preview || "No message yet")));
    if (item.unread && item.id !== conversation) {
      var unread = el("span", "count conv-item__unread", String(item.unread));
      unread.title = "Unread messages";
      unread.appendChild(el("span", "visually-hidden", " unread"));
      line.appendChild(unread);
    }
    var meta = el("span", "conv-item__meta");
    if (item.waiting && item.status === "needs_human") { meta.appendChild(badge("badge--warning", "Needs a person")); }
    else if (item.status !== "needs_human") { meta.appendChild(badge("badge--muted status status--" + item.status, item.status_label)); }
    if (item.flagged) { meta.appendChild(badge("badge--danger", "Flagged")); }
    if (item.bookings) { meta.appendChild(badge("badge--info", "Booked")); }
    else if (item.cancelled_bookings) { meta.appendChild(badge("badge--muted", "Booking cancelled")); }
    main.appendChild(top);
    main.appendChild(line);
    main.appendChild(meta);
    link.appendChild(face);
    link.appendChild(main);
    li.appendChild(link);
    return li;
  };
}());
