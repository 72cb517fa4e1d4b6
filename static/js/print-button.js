// Buttons marked data-print print the page (no inline handlers: the pages' CSP allows only
// scripts of our own).
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
