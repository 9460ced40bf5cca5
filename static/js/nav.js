/* The top bar on a phone: its links fold behind the "Menu" button (templates/base.html), which
 * opens and closes them. Without this script the button stays hidden and the links wrap.
 * A file rather than an inline handler, which the Content-Security-Policy forbids. */
(function () {
  "use strict";
  var bar = document.querySelector("[data-nav]");
  var toggle = bar && bar.querySelector("[data-nav-toggle]");
  if (!toggle) return; // signed out: nothing to fold

  function setOpen(open) {
    bar.classList.toggle("nav-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  bar.classList.add("nav-js"); // from here on, the narrow layout folds the links
  toggle.addEventListener("click", function () {
    setOpen(toggle.getAttribute("aria-expanded") !== "true");
  });
  // Escape closes the open menu and gives the focus back to its button.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      toggle.focus();
    }
  });
})();
