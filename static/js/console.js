// The facilitator console's live link: the server says which group changed; the page
// re-fetches that group's row or panel with htmx, merged into the page (keep-input.js).
// Reconnects with backoff, and re-fetches everything after a reconnect, since changes may
// have been missed meanwhile.
(function () {
  "use strict";
  const root = document.querySelector("[data-console]");
  if (!root) return;
  const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + root.dataset.console;
  const FORBIDDEN = 4403;
  const pending = new Map();
  let retry = 0;
  let everOpened = false;
  // The page's language, from the scripts' catalog (loaded before this script by base.html);
  // English should the catalog have failed to load, rather than no live link at all.
  const gettext = typeof window.gettext === "function" ? window.gettext : function (text) { return text; };

  function setState(state, text) {
    const el = document.getElementById("connection");
    if (el && el.dataset.state !== state) {
      el.dataset.state = state;
      el.textContent = text;
    }
  }

  // A page whose regions are merged into it (hx-ext="morph": the group's panel, the
  // overview) is redrawn while the facilitator types, and keeps their text, choices and
  // focus (keep-input.js). One whose regions are replaced (the synthesis: its results
  // fetch themselves again with a "load" trigger, which a merged region would not fire)
  // waits while they are in a field, until they leave it or submit.
  const morphing = root.getAttribute("hx-ext") === "morph";
  function typing() {
    const el = document.activeElement;
    return el && root.contains(el) && el.matches("input:not([type=hidden]), textarea, select");
  }

  // The synthesis recomputes everything: tell it of changes at most every 5 s, at once for
  // the first, and until it has been asked once more SETTLE after the last change. An
  // answer may hold results computed a moment before a change; asked SETTLE after it, the
  // server no longer counts those current (SYNTHESIS_FRESH, 2 s) and has them computed
  // again, so the last change always shows. (htmx's own throttle drops the events in its
  // window, and it forgets its window whenever the region it sits on is swapped, which
  // every re-fetch does.)
  const ANY_EVERY = 5000;
  const SETTLE = 2500;
  let lastChange = 0;
  let lastAsked = -Infinity;
  let anyTimer = null;
  let askWhenAnswered = false;
  function anyChanged() {
    lastChange = Date.now();
    if (!anyTimer) askAgain();
  }
  function askAgain() {
    anyTimer = null;
    const now = Date.now();
    if (lastAsked >= lastChange + SETTLE) return;
    if (resultsRequested()) {
      askWhenAnswered = true;
      return;
    }
    if (now - lastAsked >= ANY_EVERY) {
      htmx.trigger(document.body, "console:any");
      lastAsked = now;
    }
    anyTimer = setTimeout(askAgain, Math.max(lastAsked + ANY_EVERY, lastChange + SETTLE) - now);
  }

  // An ask made while a request for the results is on its way is not sure to go: when the
  // answers replaced the region (outerHTML, before they were merged into it), it was queued
  // on the element the answer replaced, and went with it; the change that prompted it never
  // showed (a slow answer on a loaded server, outlasting the throttle). So asks wait for the
  // answer, then go: the region listens as soon as the answer is swapped in ("settle:0ms"
  // in the template), before htmx:afterRequest.
  function resultsRequested() {
    return document.querySelector("#results.htmx-request") !== null;
  }
  document.body.addEventListener("htmx:afterRequest", function (event) {
    // The element that asked (the event's own "elt" can be another: htmx tells the parent
    // of an element that an answer replaced).
    const config = event.detail.requestConfig;
    if (!askWhenAnswered || !config || config.elt.id !== "results") return;
    askWhenAnswered = false;
    if (!anyTimer) askAgain();
  });

  // Many votes in a second become one re-fetch of the group.
  function changed(groupId) {
    if (pending.has(groupId)) return;
    pending.set(groupId, setTimeout(function fire() {
      if (typing() && !morphing) {
        document.activeElement.addEventListener("focusout", function () {
          setTimeout(fire, 0);
        }, { once: true });
        return;
      }
      pending.delete(groupId);
      htmx.trigger(document.body, "console:group-" + groupId);
      anyChanged();
    }, 300));
  }

  // Offline as soon as the browser knows it; back online, a socket that outlived the
  // outage may have missed changes, and one that closed is being opened again.
  const OFFLINE = gettext("Offline: your actions cannot be sent until the connection is back.");
  let current = null;
  window.addEventListener("offline", function () {
    setState("offline", OFFLINE);
  });
  window.addEventListener("online", function () {
    if (current && current.readyState === WebSocket.OPEN) {
      setState("live", gettext("Live"));
      resync();
    } else {
      setState("reconnecting", gettext("Connection lost. Reconnecting…"));
    }
  });

  function connect() {
    const socket = (current = new WebSocket(url));
    let ping = null;
    socket.onopen = function () {
      retry = 0;
      setState("live", gettext("Live"));
      if (everOpened) resync();
      everOpened = true;
      ping = setInterval(function () { socket.send(JSON.stringify({ type: "ping" })); }, 25000);
    };
    socket.onmessage = function (event) {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "changed") changed(message.group);
    };
    socket.onclose = function (event) {
      clearInterval(ping);
      if (event.code === FORBIDDEN) {
        setState("refused", gettext("Not allowed: log in as a facilitator of this session."));
        return;
      }
      if (navigator.onLine) setState("reconnecting", gettext("Connection lost. Reconnecting…"));
      else setState("offline", OFFLINE);
      retry += 1;
      setTimeout(connect, Math.min(30000, 500 * Math.pow(2, retry)) * (0.5 + Math.random() / 2));
    };
  }
  // Everything again: after a reconnection, or when a countdown ran out (the server applies
  // its end when the group is next read). The results lose it too if a request of theirs is
  // out (see above), so they are asked again once it is answered.
  function resync() {
    const lost = resultsRequested();
    htmx.trigger(document.body, "console:resync");
    if (lost) anyChanged();
  }
  document.addEventListener("countdown:zero", function () {
    setTimeout(resync, 300);
  });

  connect();
})();
