/* Survey results glue (templates/dashboard/_campaign_results.html): draws each question's charts
 * with Chart.js, and keeps the panel's refresh from swapping answers away while they are typed.
 *
 * A chart is a <canvas data-results-chart="ID"> whose figures are the JSON in <script id="ID">
 * (Django's json_script), never code: {kind: "bar", labels, data, label, horizontal, percent}
 * or {kind: "nps", labels, data, score} (a half doughnut; the score is HTML over it), or
 * {kind: "stacked", labels, series, percent} (a breakdown's shares per group). Its box
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

  // Each group's shares stacked to 100 % (a breakdown): {kind: "stacked", labels, series:
  // [{label, data}], percent}; one colour per answer, in the order of the series.
  var SERIES_COLOURS = ["#2f5bea", "#b25e09", "#14804a", "#8e44ad", "#c0362c", "#16808a", "#6b7280"];

  function stackedChart(spec) {
    return {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, index) {
          var colour = SERIES_COLOURS[index % SERIES_COLOURS.length];
          return { label: series.label, data: series.data, backgroundColor: colour, borderColor: colour };
        }),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        scales: { x: { stacked: true, beginAtZero: true, max: 100 }, y: { stacked: true } },
        plugins: { legend: { position: "bottom" } },
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
      var config = spec.kind === "nps" ? gaugeChart(spec) : spec.kind === "stacked" ? stackedChart(spec) : barChart(spec);
      var box = canvas.closest("[data-chart-box]");
      if (spec.horizontal || spec.kind === "stacked") {
        // A bar per label, each readable: the box grows with them (a breakdown has up to 22).
        config.options.scales.y = Object.assign({}, config.options.scales.y, { ticks: { autoSkip: false } });
        box.style.height = Math.max(220, 24 * spec.labels.length + (spec.kind === "stacked" ? 90 : 60)) + "px";
      }
      new window.Chart(canvas, config);
      box.hidden = false;
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
