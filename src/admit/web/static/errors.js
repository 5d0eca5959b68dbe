/* Admit: a script error or an unhandled rejection on any page is kept in
   window.admitErrors (the page tests read it in every engine) and reported to the server
   (POST /client-errors, a few per page), so operators see what breaks in buyers' browsers.
   Loaded first, before the page's own scripts. */
(function () {
  "use strict";
  var errors = (window.admitErrors = []);
  var sent = 0;
  function report(kind, message, source, line) {
    var entry = { kind: kind, message: String(message || "").slice(0, 300),
      source: String(source || "").slice(0, 300), line: line || 0, page: location.pathname };
    errors.push(entry);
    if (sent >= 3 || !navigator.sendBeacon) return;
    sent++;
    navigator.sendBeacon("/client-errors", new Blob([JSON.stringify(entry)], { type: "application/json" }));
  }
  window.addEventListener("error", function (e) {
    report("error", e.message, e.filename, e.lineno);
  });
  window.addEventListener("unhandledrejection", function (e) {
    var reason = e.reason;
    report("rejection", reason && reason.message ? reason.message : reason, "", 0);
  });
})();
