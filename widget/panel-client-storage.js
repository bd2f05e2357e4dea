/* Panel client, storage: the one localStorage entry `frontdesk:<site key>` (visitor token,
   conversation, open flag, unacked frames), written only once the panel has been opened.
   A part of panel.js (w = window, d = document). */

var UNSENT_MAX = 20; // unacked frames carried over to the next page
var UNSENT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

function createStore(key) {
  return { read: read, write: write, keepUnsent: keepUnsent, unsentFor: unsentFor };

  function read() {
    try {
      return JSON.parse(localStorage.getItem(key) || "{}") || {};
    } catch (err) {
      return {};
    }
  }

  function write(patch) {
    var data = read();
    Object.keys(patch).forEach(function (name) {
      data[name] = patch[name];
    });
    try {
      localStorage.setItem(key, JSON.stringify(data));
    } catch (err) {
      /* storage full or blocked: the chat still works for this page */
    }
  }

  /* Unacked frames are kept in storage too, so a page left right after sending resends them
     on the next page (the server stores a repeated id only once). Keyed by id: tabs of the
     same site each add and remove only their own. `entry` null forgets the frame. */
  function keepUnsent(id, entry) {
    var unsent = read().unsent || {};
    if (entry) unsent[id] = entry;
    else if (unsent[id]) delete unsent[id];
    else return;
    write({ unsent: unsent });
  }

  /* The newest UNSENT_MAX entries of `saved` (a read() result) that are still worth resending
     in `conversation`, oldest first; those too old or from another conversation are forgotten. */
  function unsentFor(saved, conversation) {
    var unsent = saved.unsent || {};
    var keep = [];
    Object.keys(unsent).sort().slice(-UNSENT_MAX).forEach(function (id) {
      var entry = unsent[id] || {};
      var fresh = Date.now() - (entry.at || 0) < UNSENT_MAX_AGE_MS;
      var sameChat = !entry.conversation || entry.conversation === conversation;
      if (!entry.frame || entry.frame.id !== id || !fresh || !sameChat) return keepUnsent(id, null);
      keep.push(entry);
    });
    return keep;
  }
}
