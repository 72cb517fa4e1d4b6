// The room's live connection, on top of htmx's WebSocket extension (which swaps each
// broadcast into the page by id). What this adds:
// - sequence numbers: a broadcast already seen is dropped; a gap means one was missed, so
//   the page re-fetches what it shows (a lost message is never a lost update);
// - a heartbeat, so the server can tell a live page from a dead one;
// - reconnection after any close but a refusal, with backoff, then a re-fetch;
// - a visible connection state, announced to screen readers.
(function () {
  "use strict";
  const room = document.querySelector("[data-room]");
  if (!room) return;

  const FORBIDDEN = 4403;
  const PING_MS = 25000;
  let lastSeq = Number(room.dataset.seq || 0);
  let everOpened = false;
  let pingTimer = null;
  let retry = 0;

  function setState(state, text) {
    const el = document.getElementById("connection");
    if (!el || el.dataset.state === state) return;
    el.dataset.state = state;
    el.textContent = text;
  }

  function resync() {
    htmx.trigger(document.body, "room:resync");
  }

  function seqOf(text) {
    const match = /id="room-seq"[^>]*data-seq="(\d+)"/.exec(text);
    return match ? Number(match[1]) : null;
  }

  room.addEventListener("htmx:wsOpen", function (event) {
    retry = 0;
    setState("live", "Live");
    const socket = event.detail.socketWrapper;
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      socket.send(JSON.stringify({ type: "ping" }));
    }, PING_MS);
    // Anything may have happened while we were away: fetch it.
    if (everOpened) resync();
    everOpened = true;
  });

  room.addEventListener("htmx:wsClose", function (event) {
    clearInterval(pingTimer);
    const code = event.detail.event.code;
    if (code === FORBIDDEN) {
      setState("refused", "You are no longer in this group. Reload the page.");
      return;
    }
    setState("reconnecting", "Connection lost. Reconnecting…");
    // The extension retries by itself after abnormal closes (1006, 1011-1013); a server
    // that shuts down cleanly (1001) or any other close is retried here.
    if ([1006, 1011, 1012, 1013].indexOf(code) === -1) {
      retry += 1;
      const delay = Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random() / 2);
      setTimeout(function () {
        event.detail.socketWrapper.reconnect();
      }, delay);
    }
  });

  room.addEventListener("htmx:wsBeforeMessage", function (event) {
    const seq = seqOf(event.detail.message);
    if (seq === null) return;
    if (seq <= lastSeq) {
      event.preventDefault(); // seen already, or older than what a re-fetch brought
      return;
    }
    if (seq > lastSeq + 1) {
      setTimeout(resync, 0); // missed something: apply this one, then fetch the rest
    }
    lastSeq = seq;
  });

  // A card that is already on the page (the author's own, from the HTTP answer) is not
  // inserted a second time when its broadcast arrives.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    const first = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (first && first.id && first.id.startsWith("position-") && document.getElementById(first.id)) {
      event.detail.shouldSwap = false;
    }
  });

  // A re-fetched region says which broadcast it is current to. One rendered before events
  // this page already applied would take the page back in time: drop it and fetch again.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    const trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (!xhr || !trigger || trigger.type !== "room:resync") return;
    const match = /data-seq="(\d+)"/.exec(xhr.responseText || "");
    if (!match) return;
    const regionSeq = Number(match[1]);
    if (regionSeq < lastSeq) {
      event.detail.shouldSwap = false;
      setTimeout(resync, 200);
    } else {
      lastSeq = regionSeq;
    }
  });
})();
