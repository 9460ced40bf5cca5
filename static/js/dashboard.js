/* Dashboard glue: draws the Chart.js charts of the dashboard panels, and shows the panels'
 * refresh errors. Panels refresh themselves through htmx 4 (hx-trigger="every 60s",
 * hx-swap="outerHTML"); error responses are not swapped (hx-status:4xx/5xx="swap:none"), so
 * the last figures stay on screen with a message saying so.
 *
 * A chart is a <canvas data-chart="ID"> whose data is the JSON in <script id="ID"> (Django's
 * json_script): {type, labels, datasets: [{label, data}]}. Its box is hidden until drawn, and
 * the table with the same figures (<details data-chart-table open>) is folded once the chart
 * is there, unless the reader had unfolded it. */
(function () {
  "use strict";

  var COLOURS = ["#2f5bea", "#14804a", "#b25e09", "#c0362c"];
  var unfolded = new Set(); // ids of tables the reader opened, kept across refreshes

  function drawCharts(root) {
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.chart);
      if (!source || window.Chart.getChart(canvas)) return;
      var spec = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: spec.type,
        data: {
          labels: spec.labels,
          datasets: spec.datasets.map(function (dataset, i) {
            var colour = COLOURS[i % COLOURS.length];
            return Object.assign({ backgroundColor: colour, borderColor: colour }, dataset);
          }),
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
          plugins: { legend: { display: spec.datasets.length > 1 } },
        },
      });
      canvas.closest("[data-chart-box]").hidden = false;
    });
    root.querySelectorAll("details[data-chart-table]").forEach(function (details) {
      if (details.dataset.folded) return;
      details.dataset.folded = "yes";
      details.open = unfolded.has(details.id);
      details.addEventListener("toggle", function () {
        if (details.open) unfolded.add(details.id);
        else unfolded.delete(details.id);
      });
    });
  }

  function destroyCharts(root) {
    if (!window.Chart || !root || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  }

  function panelOf(event) {
    var element = event.target;
    return element && element.closest ? element.closest("[data-refresh-panel]") : null;
  }

  function showError(event, message) {
    var panel = panelOf(event);
    var slot = panel && panel.querySelector("[data-refresh-error]");
    if (!slot) return;
    var since = panel.querySelector("[data-generated-at]");
    slot.textContent =
      message + " Showing the figures as of " + (since ? since.textContent.trim() : "the last refresh") +
      "; trying again at the next refresh.";
    slot.hidden = false;
  }

  document.addEventListener("htmx:before:swap", function (event) {
    destroyCharts(event.detail.ctx && event.detail.ctx.target);
  });
  document.addEventListener("htmx:after:swap", function () {
    drawCharts(document);
  });
  document.addEventListener("htmx:response:error", function (event) {
    var status = event.detail.ctx && event.detail.ctx.response && event.detail.ctx.response.status;
    showError(event, "Could not refresh: the server answered " + status + ".");
  });
  document.addEventListener("htmx:error", function (event) {
    if (event.detail.ctx && event.detail.ctx.response) return; // an HTTP error: said above
    showError(event, "Could not refresh: the server did not answer.");
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  } else {
    drawCharts(document);
  }
})();
