// Characters left in a limited text field (textarea[data-counter="ID"] writes into #ID).
// Shown as the user types; announced to screen readers only as the limit nears (100, 50,
// 20, 10 and 0 left), not at every key. The post form is redrawn after each post, so the
// counter listens on the document and reads the field it is given.
(function () {
  "use strict";
  const ANNOUNCE_AT = [100, 50, 20, 10, 0];
  // The catalog's functions (base.html loads its script before this one); English without it.
  const ngettext = window.ngettext || function (one, many, n) { return n === 1 ? one : many; };
  const interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };

  function update(field, announce) {
    const counter = document.getElementById(field.dataset.counter);
    if (!counter) return;
    const left = Number(field.maxLength) - field.value.length;
    const text = interpolate(
      ngettext("%(count)s character left", "%(count)s characters left", left), { count: left }, true);
    counter.querySelector("[data-shown]").textContent = text;
    counter.classList.toggle("near-limit", left <= 50);
    const spoken = counter.querySelector("[data-spoken]");
    if (announce && ANNOUNCE_AT.indexOf(left) !== -1) spoken.textContent = text;
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-counter]")) update(event.target, true);
  });
  function all() {
    document.querySelectorAll("textarea[data-counter]").forEach(function (field) {
      update(field, false);
    });
  }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
  all();
})();
