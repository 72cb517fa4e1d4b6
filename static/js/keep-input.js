// What a facilitator is doing survives the console's live redraws. The console's regions
// are swapped with idiomorph ("morph", static/vendor/idiomorph): the new HTML is merged into
// the page instead of replacing it, so focus stays where it was, and every form control the
// user has changed keeps their value; a choice made in "Merge into" does not snap back to
// the first position while the facilitator reaches for the button. A form they submit
// takes the server's values again once its answer arrives: the action is done. An answer
// that refuses the action (422) leaves what they typed, to correct.
(function () {
  "use strict";
  if (typeof Idiomorph === "undefined") return;

  // The server wrote the default; a value that differs from it is the user's. Reading it
  // from the element itself means nothing needs tracking, and a control the user changed
  // back to the default is the server's again.
  function changedByUser(el) {
    if (el instanceof HTMLSelectElement) {
      const options = Array.from(el.options);
      if (el.multiple) return options.some(function (o) { return o.selected !== o.defaultSelected; });
      const chosen = options.findLastIndex(function (o) { return o.defaultSelected; });
      return el.selectedIndex !== (chosen === -1 ? 0 : chosen);
    }
    if (el instanceof HTMLTextAreaElement) return el.value !== el.defaultValue;
    if (el instanceof HTMLInputElement) {
      if (el.type === "checkbox" || el.type === "radio") return el.checked !== el.defaultChecked;
      if (el.type === "hidden" || el.type === "file") return false;
      return el.value !== el.defaultValue;
    }
    return false;
  }

  // An action's outcome (its notice, its Undo button, its error: regions marked data-kept)
  // stays through the live redraws that follow it, which carry none; the answer to the
  // next action replaces it.
  let redrawing = false;

  Idiomorph.defaults.callbacks.beforeNodeMorphed = function (oldNode) {
    if (oldNode.nodeType !== Node.ELEMENT_NODE) return true;
    if (redrawing && oldNode.hasAttribute("data-kept")) return false;
    return !changedByUser(oldNode);
  };

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    const config = event.detail.requestConfig;
    redrawing = config !== undefined && config.verb === "get";
    const form = config && config.elt;
    const status = event.detail.xhr.status;
    if (form instanceof HTMLFormElement && status >= 200 && status < 300) form.reset();
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    redrawing = false;
  });
})();
