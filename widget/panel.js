/* Frontdesk panel: the chat UI and its websocket client, loaded by widget.js on first open into
   the widget's shadow root. No framework, no build step, no eval, no inline styles. At startup
   widget_assets puts each "part:" file below in its marker's place, and the words of every
   language (widget/strings/*.json) in place of the strings marker: one script, one closure. */
(function (w, d) {
  "use strict";
  var F = w.Frontdesk;
  if (F && F._panel) F._panel(mount);

  /* strings */
  /* part: panel-client-storage.js */
  /* part: panel-client.js */
  /* part: panel-ui-nodes.js */
  /* part: panel-ui-layout.js */
  /* part: panel-ui.js */

  /* The loader calls this once the script has run: the client (socket, outbox, storage) feeds
     the view (DOM), and the view hands the visitor's input to the client. */
  function mount(ctx) {
    useLanguage(ctx.settings.lang);
    var client = createClient(ctx.settings, ctx.origin);
    var view = createView(ctx, client);
    client.start(view);
    return {
      show: function (moveFocus) {
        view.show(moveFocus);
        client.setOpen(true);
      },
      hide: function () {
        view.hide();
        client.setOpen(false);
      },
      send: client.sendText
    };
  }
})(window, document);
