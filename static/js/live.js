// The room's live connection, on top of htmx's WebSocket extension (which swaps each
// broadcast into the page by id). What this adds:
// - sequence numbers: a broadcast already seen is dropped; a gap means one was missed, so
//   the page re-fetches what it shows (a lost message is never a lost update);
// - a heartbeat, so the server can tell a live page from a dead one;
// - reconnection after any close but a refusal, with backoff, then a re-fetch;
// - a visible connection state, announced to screen readers: offline as soon as the
//   browser knows it, and a socket that stops answering its heartbeat is taken for lost;
// - votes sent on the socket, each with an id, shown pending until the server answers that
//   id (once the vote is durable); with no socket open, the vote form's HTTP POST.
// What is done while offline is refused where it is done (the "not saved" notice below),
// never queued unseen: the text of a post stays in its field, to send again.
(function () {
  "use strict";
  const room = document.querySelector("[data-room]");
  if (!room) return;

  // The catalog's functions (base.html loads its script before this one); English if it
  // could not be fetched, so that the connection still works.
  const gettext = window.gettext || function (text) { return text; };
  const pgettext = window.pgettext || function (context, text) { return text; };
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };

  // News of a card this page does not show is dropped before htmx swaps it (which would log
  // an error for each). A card can be missing for a moment: hidden or merged away just
  // before, or new to the group (taken into the plenary) while the list is being fetched
  // again, and that list carries the card as it is now. Only a card and its parts, swapped
  // by their own id: anything else missing from the page stays an error worth seeing.
  // Tallies reach every page of a room many times a second: the message is parsed here only
  // when a card it names is missing, which is rare.
  const CARD_PART = /^(position|tally|pin)-\d+$/;
  const CARD_PART_IDS = /id="((?:position|tally|pin)-\d+)"/g;
  function missingCardPart(element) {
    const swap = element.getAttribute("hx-swap-oob") || "";
    return CARD_PART.test(element.id) && swap.indexOf(":") === -1 &&
      !document.getElementById(element.id);
  }
  htmx.defineExtension("room-cards", {
    transformResponse: function (text) {
      const named = Array.from(text.matchAll(CARD_PART_IDS), function (match) {
        return match[1];
      });
      if (named.every(function (id) { return document.getElementById(id); })) return text;
      const template = document.createElement("template");
      template.innerHTML = text;
      const missing = Array.prototype.filter.call(template.content.children, missingCardPart);
      if (!missing.length) return text;
      missing.forEach(function (element) { element.remove(); });
      return template.innerHTML;
    },
  });

  const FORBIDDEN = 4403;
  const PING_MS = 25000;
  let lastSeq = Number(room.dataset.seq || 0);
  let everOpened = false;
  let pingTimer = null;
  let retry = 0;

  // Reconnection delays. The extension's default ("full-jitter") waits up to 2^n s after n
  // failed tries, so after an outage of a minute a page could sit another minute before
  // trying again. Here: a random wait up to 1 s, 2 s, 4 s, then 8 s at most, still spread
  // at random so a restarted server is not hit by every page at the same instant.
  const RECONNECT_CAP_MS = 8000;
  function reconnectDelay(tries) {
    return 250 + Math.random() * Math.min(RECONNECT_CAP_MS, 1000 * Math.pow(2, tries));
  }
  htmx.config.wsReconnectDelay = reconnectDelay;

  // A write the server could not save (it answered 5xx, or nothing at all): htmx swaps
  // nothing then, so say so where the page announces its state, never a silent "saved".
  function notSaved(event) {
    const xhr = event.detail.xhr;
    const notice = document.getElementById("live-notice");
    if (!notice || (xhr && xhr.status && xhr.status < 500)) return;
    const method = (event.detail.requestConfig && event.detail.requestConfig.verb) || "";
    if (method.toLowerCase() !== "post") return;
    notice.textContent = notSavedMessage(xhr);
    notice.className = "message error";
  }
  function notSavedMessage(xhr) {
    if (!xhr || !xhr.status) {
      return gettext("That was not saved: the server did not answer. Try again in a moment.");
    }
    // The server's own short explanation ("The database is not answering just now:
    // nothing was saved..."), set as text, never as HTML.
    const type = xhr.getResponseHeader("Content-Type") || "";
    const text = (xhr.responseText || "").trim();
    if (xhr.status === 503 && type.startsWith("text/plain") && text && text.length < 300) {
      return text;
    }
    return gettext("That was not saved: the server could not save it. Try again in a moment.");
  }
  document.body.addEventListener("htmx:responseError", notSaved);
  document.body.addEventListener("htmx:sendError", notSaved);
  document.body.addEventListener("htmx:afterRequest", function (event) {
    const notice = document.getElementById("live-notice");
    if (notice && event.detail.successful && notice.classList.contains("error")) {
      notice.textContent = "";
      notice.className = "";
    }
  });

  function setState(state, text) {
    const el = document.getElementById("connection");
    if (!el || el.dataset.state === state) return;
    el.dataset.state = state;
    el.textContent = text;
  }

  // Re-fetch what the page shows: both regions after a gap or a reconnection, or those a
  // refresh marker names (its broadcast carried the rest; every page of the group asks at
  // once, so a region fetched for nothing is twenty requests). The regions' addresses come
  // from the page (a participant's room and the projector fetch from different places),
  // and the request is marked so the answer can be checked against the sequence below.
  const ALL_REGIONS = ["status", "positions"];
  function resync(regions) {
    const wanted = Array.isArray(regions) ? regions : ALL_REGIONS;
    const positions = document.getElementById("positions");
    const sort = positions ? positions.dataset.sort || "newest" : "newest";
    const marked = { headers: { "X-Resync": "1" }, swap: "outerHTML" };
    if (room.dataset.statusUrl && wanted.indexOf("status") !== -1) {
      htmx.ajax("GET", room.dataset.statusUrl, Object.assign({ target: "#room-status" }, marked));
    }
    if (room.dataset.positionsUrl && positions && wanted.indexOf("positions") !== -1) {
      const url = room.dataset.positionsUrl + "?sort=" + encodeURIComponent(sort);
      htmx.ajax("GET", url, Object.assign({ target: "#positions" }, marked));
    }
  }

  function seqOf(text) {
    const match = /id="room-seq"[^>]*data-seq="(\d+)"/.exec(text);
    return match ? Number(match[1]) : null;
  }

  // Connection states besides "live". Offline is the browser's word (its network is
  // down); reconnecting, ours (the socket closed or stopped answering).
  const OFFLINE = gettext("Offline: nothing you do can be sent until the connection is back.");
  const RECONNECTING = gettext("Connection lost. Reconnecting…");
  const LIVE = pgettext("connection state", "Live");
  let current = null; // the WebSocket the extension opened last
  let heardAt = 0; // when the socket last brought a message

  window.addEventListener("offline", function () {
    setState("offline", OFFLINE);
  });
  window.addEventListener("online", function () {
    if (current && current.readyState === WebSocket.OPEN) {
      // The socket outlived the outage, but what it carried meanwhile may be lost; and it
      // may be dead without knowing it, which its heartbeat's answer tells.
      setState("live", LIVE);
      heartbeat(current);
      resync();
    } else {
      setState("reconnecting", RECONNECTING); // the extension's retry opens it again
    }
  });

  // The heartbeat's answer must come: a socket whose network died without a word (the
  // venue's router, not this laptop) looks open until TCP gives up, minutes later.
  const ANSWER_MS = 10000;
  function heartbeat(socket) {
    if (socket.readyState !== WebSocket.OPEN) return;
    const sent = Date.now();
    socket.send(JSON.stringify({ type: "ping" }));
    setTimeout(function () {
      if (heardAt >= sent || socket.readyState !== WebSocket.OPEN) return;
      if (navigator.onLine) setState("reconnecting", RECONNECTING);
      else setState("offline", OFFLINE);
      socket.close(); // the close handler below opens a new one
    }, ANSWER_MS);
  }
  // Before the message is handled: the heartbeat's answer is consumed there.
  room.addEventListener("htmx:wsBeforeMessage", function () {
    heardAt = Date.now();
  });

  room.addEventListener("htmx:wsOpen", function (event) {
    retry = 0;
    setState("live", LIVE);
    const socket = (current = event.detail.event.target);
    clearInterval(pingTimer);
    pingTimer = setInterval(function () {
      heartbeat(socket);
    }, PING_MS);
    // Anything may have happened while we were away: fetch it.
    if (everOpened) resync();
    everOpened = true;
  });

  room.addEventListener("htmx:wsClose", function (event) {
    clearInterval(pingTimer);
    unansweredVotes();
    const code = event.detail.event.code;
    if (code === FORBIDDEN) {
      setState("refused", gettext("You are no longer in this group. Reload the page."));
      return;
    }
    if (navigator.onLine) {
      setState("reconnecting", RECONNECTING);
    } else {
      setState("offline", OFFLINE);
    }
    // The extension retries by itself after abnormal closes (1006, 1011-1013); a server
    // that shuts down cleanly (1001) or any other close is retried here.
    if ([1006, 1011, 1012, 1013].indexOf(code) === -1) {
      retry += 1;
      const delay = reconnectDelay(retry);
      setTimeout(function () {
        event.detail.socketWrapper.reconnect();
      }, delay);
    }
  });

  // What a refresh marker asks this page to fetch: its regions, or nothing where it names a
  // merge's vote-moving and this reader's vote did not move (they voted on the survivor, or
  // not on the duplicate). Read before the message's swaps delete the duplicate's card.
  let refreshRegions = null;
  function pressed(positionId) {
    return document.querySelector("#vote-" + positionId + ' [aria-pressed="true"]') !== null;
  }
  function refreshFor(message) {
    const marker = /<div id="room-refresh"[^>]*>/.exec(message);
    if (!marker) return null;
    const from = /data-votes-from="(\d+)"/.exec(marker[0]);
    const to = /data-votes-to="(\d+)"/.exec(marker[0]);
    if (from && (!pressed(from[1]) || (to && pressed(to[1])))) return null;
    const unless = /data-unless-sort="([^"]*)"/.exec(marker[0]);
    const positions = document.getElementById("positions");
    if (unless && positions && positions.dataset.sort === unless[1]) return null;
    const regions = /data-regions="([^"]*)"/.exec(marker[0]);
    return regions ? regions[1].split(" ") : ALL_REGIONS;
  }

  room.addEventListener("htmx:wsBeforeMessage", function (event) {
    if (answerVote(event.detail.message)) {
      event.preventDefault();
      return;
    }
    refreshRegions = refreshFor(event.detail.message);
    // The answer to a heartbeat: the room's latest number. Behind it, fetch what we missed.
    const latest = /id="room-latest"[^>]*data-latest="(\d+)"/.exec(event.detail.message);
    if (latest) {
      event.preventDefault();
      if (Number(latest[1]) > lastSeq) setTimeout(resync, 0);
      return;
    }
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

  // Control messages: "re-fetch the list" and "this page belongs elsewhere now".
  room.addEventListener("htmx:wsAfterMessage", function (event) {
    const message = event.detail.message;
    const pin = /id="room-pin"[^>]*data-position="(\d+)"[^>]*data-pinned="(true|false)"/.exec(message);
    if (pin) placePinned(pin[1], pin[2] === "true");
    if (refreshRegions) resync(refreshRegions);
    refreshRegions = null;
    const away = /id="room-away"[^>]*data-href="([^"]*)"/.exec(message);
    if (away) window.location.assign(away[1]);
  });

  // Votes on the socket (discussions/live/votes.py). The click sends the vote with an id of
  // this page's; the card's buttons say "saving" (aria-busy) until the server answers that
  // id, once the vote is in the database, with the buttons as they now are. Another click
  // on the card meanwhile is ignored. With no socket open the form posts over HTTP.
  // A pending vote is held by ids, not elements: the list fetched again, or a broadcast,
  // may replace its card meanwhile, and the new card must say "saving" just the same.
  const pendingVotes = new Map(); // vote id -> the ids of its card's form and its button
  const VOTE_ANSWER_MS = 15000;
  let votesSent = 0;
  document.body.addEventListener("htmx:confirm", function (event) {
    const form = event.detail.elt;
    if (!form.classList || !form.classList.contains("vote")) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // the card's last vote is on its way
      return;
    }
    const button = event.detail.triggeringEvent && event.detail.triggeringEvent.submitter;
    const socket = current;
    const live = document.getElementById("connection");
    if (!button || button.name !== "choice" || !socket || socket.readyState !== WebSocket.OPEN ||
        (live && live.dataset.state !== "live")) {
      return; // the HTTP form, whose failures say "not saved" where they happen
    }
    event.preventDefault();
    votesSent += 1;
    const id = "v" + Date.now().toString(36) + "-" + votesSent;
    socket.send(JSON.stringify({
      type: "vote", id: id, position: Number(form.id.slice("vote-".length)), choice: button.value,
    }));
    const vote = { form: form.id, button: button.id };
    pendingVotes.set(id, vote);
    markPending(vote);
    const error = form.querySelector(".error");
    if (error) error.remove();
    setTimeout(function () {
      if (!pendingVotes.has(id)) return;
      // Not answered yet: give the card back (a late answer still shows the vote), and
      // ask the socket whether it is alive; a dead one is replaced, and the list fetched.
      pendingVotes.delete(id);
      release(vote);
      heartbeat(socket);
    }, VOTE_ANSWER_MS);
  });

  function markPending(vote) {
    const form = document.getElementById(vote.form);
    if (!form) return;
    form.setAttribute("aria-busy", "true");
    const button = document.getElementById(vote.button);
    if (button && form.contains(button)) {
      button.dataset.saving = gettext("(saving…)");
      button.classList.add("pending");
    }
  }
  function markAllPending() {
    pendingVotes.forEach(markPending);
  }
  // At the swap, before a click can reach the new card; again once htmx has settled it
  // (which sets back the classes the card came with) and after a broadcast's swaps.
  document.body.addEventListener("htmx:afterSwap", markAllPending);
  document.body.addEventListener("htmx:afterSettle", markAllPending);
  room.addEventListener("htmx:wsAfterMessage", markAllPending);

  function release(vote) {
    const form = document.getElementById(vote.form);
    if (!form) return;
    form.removeAttribute("aria-busy");
    form.querySelectorAll(".pending").forEach(function (button) {
      button.classList.remove("pending");
    });
  }

  function tellNotSaved(text) {
    const notice = document.getElementById("live-notice");
    if (!notice) return;
    notice.textContent = text;
    notice.className = "message error";
  }

  // The server's answer to a vote: the card's buttons, marked with the vote's id (saved, or
  // refused with the reason in them), or a short refusal without buttons. True if it was one.
  function answerVote(message) {
    const ack = /data-ack="([^"]+)"[^>]*data-status="(\w+)"/.exec(message);
    if (!ack) return false;
    const vote = pendingVotes.get(ack[1]);
    pendingVotes.delete(ack[1]);
    const holder = document.createElement("template");
    holder.innerHTML = message;
    const answer = holder.content.firstElementChild;
    if (ack[2] === "limited" || ack[2] === "unsaved" || ack[2] === "away") {
      if (vote) release(vote);
      tellNotSaved(answer.textContent.trim());
      if (ack[2] === "unsaved") resync(["positions"]); // show what the server holds
      return true;
    }
    if (ack[2] === "saved") {
      const notice = document.getElementById("live-notice");
      if (notice && notice.classList.contains("error")) {
        notice.textContent = "";
        notice.className = "";
      }
    }
    const card = document.getElementById(answer.id);
    if (!card) return true; // the card is gone (hidden, merged) since
    const focused = card.contains(document.activeElement) ? document.activeElement.id : null;
    card.replaceWith(answer);
    htmx.process(answer);
    markAllPending(); // a late answer to a card whose next vote is on its way
    if (focused && document.getElementById(focused)) {
      document.getElementById(focused).focus({ preventScroll: true });
    }
    return true;
  }

  // The socket closed with votes on their way: their fate is unknown here. The page fetches
  // the list when the socket is back, and the list shows what was saved.
  function unansweredVotes() {
    if (pendingVotes.size === 0) return;
    pendingVotes.forEach(release);
    pendingVotes.clear();
    tellNotSaved(gettext("The connection dropped while your vote was being saved. " +
      "Once it is back, your buttons show what was saved."));
  }

  // New votes, told to screen readers: politely, and at most once every TALLY_EVERY_MS
  // (in a busy room tallies change many times a second). The positions whose tallies
  // changed meanwhile are gathered; one is named with its tally, several are counted.
  const TALLY_EVERY_MS = 20000;
  const changedTallies = new Set();
  let tallyTimer = null;
  let lastTallyNews = -Infinity;
  function tellTallies() {
    tallyTimer = null;
    lastTallyNews = Date.now();
    const region = document.getElementById("tally-announcer");
    const ids = Array.from(changedTallies).filter(function (id) {
      return document.getElementById("tally-" + id);
    });
    changedTallies.clear();
    if (!region || ids.length === 0) return;
    if (ids.length === 1) {
      const tally = document.getElementById("tally-" + ids[0]);
      const text = document.querySelector("#position-" + ids[0] + " .position-text");
      const label = tally.getAttribute("aria-label");
      if (!label) return; // tallies hidden until voting closes
      // The tally's label is the server's, in the page's language ("2 agree, 1 disagree...").
      region.textContent = text
        ? interpolate(gettext("New votes on “%(position)s”: %(tally)s."),
          { position: text.textContent.trim().slice(0, 80), tally: label }, true)
        : interpolate(gettext("New votes on “a position”: %(tally)s."), { tally: label }, true);
    } else {
      region.textContent = interpolate(
        ngettext("New votes on %(count)s position.", "New votes on %(count)s positions.", ids.length),
        { count: ids.length }, true);
    }
  }
  room.addEventListener("htmx:wsAfterMessage", function (event) {
    const found = event.detail.message.matchAll(/id="tally-(\d+)"/g);
    let any = false;
    for (const match of found) {
      changedTallies.add(match[1]);
      any = true;
    }
    if (any && !tallyTimer) {
      tallyTimer = setTimeout(tellTallies, Math.max(0, lastTallyNews + TALLY_EVERY_MS - Date.now()));
    }
  });

  // A pin or unpin, where the list shows the newest first: the card takes its place as the
  // server orders it (queries.room_positions): pinned cards on top, each part newest first,
  // positions' numbers growing as they are posted. Lists in another order fetched again
  // (the refresh marker says so). Focus stays where it was, on the moved card too.
  function cardOrder(card) {
    return [card.classList.contains("pinned") ? 1 : 0, Number(card.id.split("-")[1])];
  }
  function placePinned(positionId, pinned) {
    const card = document.getElementById("position-" + positionId);
    if (!card) return;
    card.classList.toggle("pinned", pinned);
    const list = document.getElementById("positions-list");
    const positions = document.getElementById("positions");
    if (!list || card.parentElement !== list || positions.dataset.sort !== "newest") return;
    const mine = cardOrder(card);
    const next = Array.prototype.find.call(list.children, function (other) {
      if (other === card || !other.id.startsWith("position-")) return false;
      const theirs = cardOrder(other);
      return mine[0] > theirs[0] || (mine[0] === theirs[0] && mine[1] > theirs[1]);
    });
    if ((next || null) === card.nextElementSibling) return;
    const focused = card.contains(document.activeElement) ? document.activeElement : null;
    list.insertBefore(card, next || null);
    if (focused) focused.focus({ preventScroll: true });
  }

  // The phase decides whether the post form is usable; the server enforces it regardless.
  // Only the controls change, so a half-written position is never lost.
  function applyPhase() {
    const status = document.getElementById("room-status");
    const form = document.getElementById("post-form");
    // A post on its way keeps the form closed; its answer brings the form for the phase.
    if (!status || !form || form.classList.contains("htmx-request")) return;
    const open = status.dataset.phase === "collecting";
    form.querySelectorAll("textarea, button").forEach(function (control) {
      control.disabled = !open;
    });
    const help = document.getElementById("position-help");
    if (help) {
      help.textContent = open
        ? gettext("One clear statement others can agree or disagree with, up to 500 characters.")
        : gettext("New positions are closed in this phase.");
    }
  }

  // At zero the page asks for the status: the server ends the countdown (and changes the
  // phase, if the facilitator chose that) on the first request after the end, and tells
  // everyone, with a refresh marker if the list must be fetched too.
  document.addEventListener("countdown:zero", function () {
    setTimeout(function () {
      resync(["status"]);
    }, 300);
  });
  document.body.addEventListener("htmx:afterSettle", applyPhase);
  room.addEventListener("htmx:wsAfterMessage", function () {
    Countdown.refresh();
    applyPhase();
  });

  // A card is never inserted twice. The author's own copy (the HTTP answer, rendered for
  // them: "(you)") wins over the broadcast copy, whichever of the two arrives first.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    const first = event.detail.fragment && event.detail.fragment.firstElementChild;
    // Screen readers announce others' new positions, not the one you just posted.
    if (event.detail.target.id === "announcer" && first && first.dataset &&
        first.dataset.author === room.dataset.participant) {
      event.detail.shouldSwap = false;
      return;
    }
    if (!first || !first.id || !first.id.startsWith("position-")) return;
    const existing = document.getElementById(first.id);
    if (!existing) return;
    if (first.hasAttribute("data-personal") && !existing.hasAttribute("data-personal")) {
      existing.remove();
    } else {
      event.detail.shouldSwap = false;
    }
  });

  // A re-fetched region says which broadcast it is current to. One rendered before events
  // this page already applied would take the page back in time: drop it and fetch again.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const xhr = event.detail.xhr;
    const config = event.detail.requestConfig;
    if (!xhr || !config || !config.headers || config.headers["X-Resync"] !== "1") return;
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
