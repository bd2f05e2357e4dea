// The documented stub: calls made before widget.js arrives are queued, then replayed.
window.Frontdesk = window.Frontdesk || function () { (Frontdesk.q = Frontdesk.q || []).push(arguments); };
window.frontdeskEvents = [];
Frontdesk("on", "open", function () { window.frontdeskEvents.push("open"); });
Frontdesk("on", "close", function () { window.frontdeskEvents.push("close"); });
Frontdesk("open");
