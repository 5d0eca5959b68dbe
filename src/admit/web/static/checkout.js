// Checkout page: the hold's countdown and the total for the chosen ticket types.
// The page works without it: the deadline is printed as text and the server prices the order.
(function () {
  "use strict";

  function formatMoney(amount, currency) {
    var units = Math.floor(amount / 100);
    var cents = String(amount % 100).padStart(2, "0");
    return units + "." + cents + " " + currency;
  }

  function startCountdown() {
    var timer = document.getElementById("hold-timer");
    var out = document.getElementById("countdown");
    if (!timer || !out) return;
    var seconds = parseInt(timer.getAttribute("data-seconds-left"), 10);
    if (isNaN(seconds)) return;
    // Counted from the server's figure, not the device's clock, which may be wrong.
    var deadline = Date.now() + seconds * 1000;
    out.hidden = false;
    function tick() {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      var m = Math.floor(left / 60);
      var s = String(left % 60).padStart(2, "0");
      out.textContent = left > 0 ? "Time left: " + m + ":" + s : "Time is up.";
      timer.classList.toggle("urgent", left <= 60);
      if (left === 0) {
        var pay = document.getElementById("pay");
        if (pay) pay.disabled = true;
        // The server sends an expired hold back to the seat map with the reason.
        window.setTimeout(function () { window.location.reload(); }, 1500);
        return;
      }
      window.setTimeout(tick, 1000 - (Date.now() % 1000));
    }
    tick();
  }

  function watchTotal() {
    var form = document.getElementById("pay-form");
    var total = document.getElementById("total");
    if (!form || !total) return;
    var currency = form.getAttribute("data-currency") || "CNY";
    function recompute() {
      var sum = 0;
      form.querySelectorAll(".ticket-type").forEach(function (el) {
        var source = el.tagName === "SELECT" ? el.selectedOptions[0] : el;
        sum += parseInt(source && source.getAttribute("data-amount"), 10) || 0;
      });
      total.textContent = formatMoney(sum, currency);
    }
    form.addEventListener("change", recompute);
    recompute();
    form.addEventListener("submit", function () {
      var pay = document.getElementById("pay");
      // One press is enough: the form's key already makes a second one harmless.
      if (pay) window.setTimeout(function () { pay.disabled = true; }, 0);
    });
  }

  // Back/Forward may show this page from the browser's memory after the hold was cancelled
  // or paid: load it again, and the server says what became of the hold.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) window.location.reload();
  });

  startCountdown();
  watchTotal();
})();
