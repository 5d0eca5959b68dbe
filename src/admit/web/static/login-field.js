/* Admit: the login field takes a mobile number or an e-mail. Most buyers type a number, so
   phones open the number keypad (inputmode "tel"); a button beside it switches to the e-mail
   keyboard and back. Without JavaScript the field keeps the plain keyboard, which has both. */
(function () {
  "use strict";
  var field = document.querySelector("input[data-login]");
  if (!field) return;
  var toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "link-button login-kind";
  toggle.id = "login-kind";
  function show(kind) {
    field.setAttribute("inputmode", kind);
    toggle.textContent = kind === "tel" ? "Use an e-mail address instead" : "Use a mobile number instead";
  }
  show(field.value.indexOf("@") >= 0 ? "email" : "tel");
  toggle.addEventListener("click", function () {
    show(field.getAttribute("inputmode") === "tel" ? "email" : "tel");
    field.focus();
  });
  field.parentNode.appendChild(toggle);
})();
