/*
 * Draws the KPI charts (templates/surveys/kpi_charts.html) with Chart.js
 * (static/vendor/chartjs, loaded before this file).
 *
 * Each <canvas data-kpi-chart="ID"> reads its chart from the JSON element #ID, which the page
 * renders with json_script from surveys.charts.Chart.data(): no inline script, no eval, so the
 * Content-Security-Policy holds. The legend (full names, with the line's pattern and marker)
 * and the table of figures are HTML of the page, so the canvas draws only the axes and the
 * data. Axis labels are laid out by Chart.js: those of the value axis are all shown (the grade
 * axis 1 to 10), those of the months are left out evenly when they would not fit side by side.
 */
(() => {
  "use strict";

  const Chart = window.Chart;
  if (!Chart) {
    return;
  }
  const lang = document.documentElement.lang || "en";
  const formats = new Map();

  function format(value, digits, unit) {
    if (value === null || value === undefined) {
      return "–";
    }
    if (!formats.has(digits)) {
      formats.set(
        digits,
        new Intl.NumberFormat(lang, { minimumFractionDigits: 0, maximumFractionDigits: digits }),
      );
    }
    return formats.get(digits).format(value) + unit;
  }

  function datasets(data) {
    return data.series.map((series) =>
      data.kind === "bar"
        ? {
            label: series.label,
            data: series.values,
            backgroundColor: series.colour,
            borderColor: series.colour,
            borderWidth: 1,
          }
        : {
            label: series.label,
            data: series.values,
            borderColor: series.colour,
            backgroundColor: series.colour,
            borderWidth: 2,
            borderDash: series.dash,
            pointStyle: series.marker,
            pointRadius: 4,
            pointHoverRadius: 6,
            pointBorderWidth: 2,
            spanGaps: false,
          },
    );
  }

  function config(data, text) {
    const grid = "rgba(128, 128, 128, 0.3)";
    const valueAxis = {
      min: data.axis.min,
      max: data.axis.max ?? undefined,
      beginAtZero: true,
      grid: { color: grid },
      title: { display: Boolean(data.axis.title), text: data.axis.title, color: text },
      ticks: {
        color: text,
        // every step of a fixed upright axis is shown (1 to 10 for a grade, 0 to 100 for a
        // share); along the bottom of a bar chart Chart.js leaves out what would not fit
        autoSkip: data.kind === "bar" || data.axis.step === null,
        stepSize: data.axis.step ?? undefined,
        precision: 0,
        callback: (value) => format(value, 0, data.unit),
      },
    };
    const categoryAxis = {
      grid: { display: false },
      title: { display: Boolean(data.categoryTitle), text: data.categoryTitle, color: text },
      ticks: { color: text, maxRotation: 0, autoSkip: true, autoSkipPadding: 12 },
    };
    const bar = data.kind === "bar";
    return {
      type: bar ? "bar" : "line",
      data: { labels: data.labels, datasets: datasets(data) },
      options: {
        indexAxis: bar ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        // the page's HTML legend names the series; the canvas is an image (role="img")
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) =>
                `${item.dataset.label}: ${format(bar ? item.parsed.x : item.parsed.y, data.digits, data.unit)}`,
            },
          },
        },
        interaction: { mode: "nearest", intersect: false, axis: bar ? "y" : "x" },
        scales: bar ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
      },
    };
  }

  function draw() {
    const page = getComputedStyle(document.body);
    Chart.defaults.font.family = page.fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = page.color;
    for (const canvas of document.querySelectorAll("canvas[data-kpi-chart]")) {
      const source = document.getElementById(canvas.dataset.kpiChart);
      if (source && !Chart.getChart(canvas)) {
        new Chart(canvas, config(JSON.parse(source.textContent), page.color));
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
