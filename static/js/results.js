/* Survey results glue (templates/dashboard/_campaign_results.html): draws each question's charts
 * with Chart.js, and keeps the panel's refresh from swapping answers away while they are typed.
 *
 * A chart is a <canvas data-results-chart="ID"> whose figures are the JSON in <script id="ID">
 * (Django's json_script), never code: {kind: "bar", labels, data, label, horizontal, percent}
 * or {kind: "nps", labels, data, score} (a half doughnut; the score is HTML over it). Its box
 * is hidden until drawn; the table with the same figures is folded by dashboard.js. */
(function () {
  "use strict";

  var ACCENT = "#2f5bea";
  var NPS_COLOURS = ["#c0362c", "#b25e09", "#14804a"]; // detractors, passives, promoters

  function barChart(spec) {
    var valueAxis = { beginAtZero: true, ticks: { precision: 0 } };
    if (spec.percent) valueAxis = { beginAtZero: true, max: 100 };
    var scales = spec.horizontal ? { x: valueAxis } : { y: valueAxis };
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: [{ label: spec.label, data: spec.data, backgroundColor: ACCENT, borderColor: ACCENT }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: spec.horizontal ? "y" : "x",
        scales: scales,
        plugins: { legend: { display: false } },
      },
    };
  }

  function gaugeChart(spec) {
    return {
      type: "doughnut",
      data: {
        labels: spec.labels,
        datasets: [{ data: spec.data, backgroundColor: NPS_COLOURS, borderWidth: 1 }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        rotation: -90,
        circumference: 180,
        cutout: "62%",
        plugins: { legend: { position: "bottom" } },
      },
    };
  }

  function drawCharts(root) {
    if (!window.Chart || !root || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-results-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.resultsChart);
      if (!source || window.Chart.getChart(canvas)) return;
      var spec = JSON.parse(source.textContent);
      new window.Chart(canvas, spec.kind === "nps" ? gaugeChart(spec) : barChart(spec));
      canvas.closest("[data-chart-box]").hidden = false;
    });
  }

  function destroyCharts(root) {
    if (!window.Chart || !root || !root.querySelectorAll) return;
    root.querySelectorAll("canvas[data-results-chart]").forEach(function (canvas) {
      var chart = window.Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
  }

  // The figures refresh themselves (hx-trigger="every 60s" on [data-results-body]); skip a
  // refresh while the reader is in one of its fields (the free-text search), which it would
  // replace with the last value sent.
  document.addEventListener("htmx:before:request", function (event) {
    var element = event.target;
    if (!element || !element.matches || !element.matches("[data-results-body]")) return;
    var active = document.activeElement;
    if (active && element.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:before:swap", function (event) {
    destroyCharts(event.detail.ctx && event.detail.ctx.target);
  });
  document.addEventListener("htmx:after:swap", function () {
    drawCharts(document);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { drawCharts(document); });
  } else {
    drawCharts(document);
  }
})();
