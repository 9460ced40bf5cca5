/* The banner naming disabled webhook subscriptions (integrations/views.py), fetched after the
 * page so that no page pays a query for it. A file, not an inline script: the
 * Content-Security-Policy forbids those. */
(function () {
  "use strict";
  var slot = document.getElementById("webhook-banner");
  if (!slot || !window.fetch) return;
  fetch(slot.dataset.url, { credentials: "same-origin", headers: { Accept: "text/html" } })
    .then(function (response) { return response.ok ? response.text() : ""; })
    .then(function (html) { slot.innerHTML = html; })
    .catch(function () { /* no banner is better than an error on every page */ });
})();
