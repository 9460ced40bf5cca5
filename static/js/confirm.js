/* Asks before a destructive submit: a form, or its submit button, with
 * data-confirm="the question". A file rather than an inline onsubmit/onclick, which the
 * Content-Security-Policy forbids (voicesurvey/settings.py). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
