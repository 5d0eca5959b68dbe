// The counter's keys (listed at the foot of every counter page): "/" goes to the search box
// (or the page's first field), Escape leaves a field. Enter submits through the forms
// themselves, and the Alt+letter shortcuts are the links' accesskeys: no script needed.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !typing(document.activeElement) && !event.altKey && !event.ctrlKey) {
      var target = document.querySelector("[data-search]") || document.querySelector("main input:not([type=hidden])");
      if (target) {
        event.preventDefault();
        target.focus();
      }
    } else if (event.key === "Escape" && typing(document.activeElement)) {
      document.activeElement.blur();
    }
  });
})();
