/* The campaign page's status-dependent parts (templates/campaigns/campaign_detail.html).
 * The status panel at the top (dashboard/_campaign_status.html) refreshes itself through htmx;
 * when it brings a status other than the one the page was showing, this tells the rest of the
 * page: a `campaign-status-changed` event on <body>, on which the statistics panel refreshes
 * (hx-trigger "… from:body"), and the upload form goes once the campaign no longer takes
 * contacts (completed or cancelled). No reload: what the reader was doing stays. */
(function () {
  "use strict";

  var shown = null;

  function panel() {
    return document.querySelector("[data-campaign-status]");
  }

  function follow() {
    var current = panel();
    if (!current) return;
    var status = current.dataset.campaignStatus;
    if (shown === null) {
      shown = status;
      return;
    }
    if (status === shown) return;
    shown = status;
    var takes = current.dataset.takesContacts === "yes";
    document.querySelectorAll("[data-takes-contacts-slot]").forEach(function (slot) {
      slot.hidden = !takes;
    });
    document.body.dispatchEvent(
      new CustomEvent("campaign-status-changed", { bubbles: true, detail: { status: status } })
    );
  }

  document.addEventListener("DOMContentLoaded", follow);
  document.addEventListener("htmx:after:swap", follow);
})();
