// Shared countdown badges (room, projector, console). The server sends the time left when
// it rendered a badge; the page counts down from when that badge arrived, so every screen
// agrees whatever its own clock says. When a badge reaches zero, "countdown:zero" fires
// once for it.
window.Countdown = (function () {
  "use strict";
  const endsAt = new WeakMap();
  let badges = [];

  function show(badge, milliseconds) {
    const value = badge.querySelector(".countdown-value");
    const seconds = Math.ceil(milliseconds / 1000);
    value.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function refresh() {
    badges = Array.from(document.querySelectorAll(".countdown[data-running]"));
    badges.forEach(function (badge) {
      // A badge keeps the end it was given when it arrived; a new badge brings a new one.
      if (!endsAt.has(badge)) endsAt.set(badge, performance.now() + Number(badge.dataset.remainingMs));
    });
    tick();
  }

  function tick() {
    const now = performance.now();
    badges.forEach(function (badge) {
      const left = Math.max(0, endsAt.get(badge) - now);
      show(badge, left);
      if (left === 0 && !badge.dataset.zero) {
        badge.dataset.zero = "1";
        document.dispatchEvent(new CustomEvent("countdown:zero", { detail: { badge: badge } }));
      }
    });
  }

  setInterval(tick, 250);
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
  return { refresh: refresh };
})();
