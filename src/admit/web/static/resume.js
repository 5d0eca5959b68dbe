/* Admit: back from signing in mid-purchase (?go=1), send the chosen form at once — the hold
   and checkout follow — instead of leaving the buyer at the top of the page to press
   Continue again. Once per page load; the server checks everything as for a click. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-resume]");
  if (!form) return;
  form.removeAttribute("data-resume");
  var note = document.getElementById("map-status");
  if (note) note.textContent = "Holding your choice…";
  if (form.requestSubmit) form.requestSubmit(); else form.submit();
})();
