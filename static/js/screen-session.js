// The pages that show a whole session (the projector's summary, the public results page):
// fetched again when the session changes, as their socket says (at most once each
// data-every-ms, one second by default, the last change always shown), instead of polling;
// and at once after a reconnection, since changes may have been missed meanwhile.
(function () {
  "use strict";
  const root = document.querySelector("[data-screen-socket]");
  if (!root) return;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.screenSocket;
  const FORBIDDEN = 4403;
  const EVERY_MS = Number(root.dataset.everyMs) || 1000;
  let lastFetch = 0;
  let timer = null;
  let retry = 0;
  // The results page's socket says when each change was announced (the server's clock): the
  // re-fetch asks for a render made no earlier, which the server may share among readers.
  // After a reconnection, changes may have been missed: ask for a render made now.
  let since = 0;
  let fresh = false;
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (!root.contains(event.detail.elt)) return;
    if (fresh) { event.detail.parameters.since = Number.MAX_SAFE_INTEGER; fresh = false; }
    else if (since) event.detail.parameters.since = since;
  });

  function fetchNow() {
    timer = null;
    lastFetch = Date.now();
    htmx.trigger(document.body, "screen:changed");
  }
  function changed() {
    if (!timer) timer = setTimeout(fetchNow, Math.max(0, lastFetch + EVERY_MS - Date.now()));
  }

  function connect() {
    const socket = new WebSocket(url);
    let ping = null;
    socket.onopen = function () {
      if (retry > 0) { fresh = true; changed(); }
      retry = 0;
      ping = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    };
    socket.onmessage = function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type !== "changed") return;
      if (typeof message.at === "number" && message.at > since) since = message.at;
      changed();
    };
    socket.onclose = function (event) {
      clearInterval(ping);
      if (event.code === FORBIDDEN) return;
      retry += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random() / 2));
    };
  }
  connect();
})();
