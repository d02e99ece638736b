/*
 * Draws the trend line of each figure of the area scorecard (templates/surveys/
 * scorecard_cards.html) with Chart.js (static/vendor/chartjs, loaded before this file).
 *
 * Each <canvas data-scorecard-spark> sits in a hidden box, followed by the figure's periods as
 * JSON (json_script: [[label, value or null], ...], values as decimal strings): no inline
 * script, no eval, so the Content-Security-Policy holds. The box is shown, then the line drawn:
 * without JavaScript (or Chart.js) the page keeps the figures and their table of periods.
 * The line is a small image (role="img", its label the periods in words): no axes, no legend,
 * no tooltips, no animation; periods without a figure are left out and the line joins the
 * others, as on the PDF.
 */
(() => {
  "use strict";

  const Chart = window.Chart;
  if (!Chart) {
    return;
  }
  const colour = "#1f4e79";

  function config(series) {
    return {
      type: "line",
      data: {
        labels: series.map(([label]) => label),
        datasets: [
          {
            data: series.map(([, value]) => (value === null ? null : Number(value))),
            borderColor: colour,
            backgroundColor: colour,
            borderWidth: 2,
            pointRadius: 0,
            spanGaps: true,
            tension: 0,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // a still line for everyone, so also for who asks the system for reduced motion
        animation: false,
        events: [],
        layout: { padding: 2 },
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false } },
      },
    };
  }

  function draw() {
    for (const canvas of document.querySelectorAll("canvas[data-scorecard-spark]")) {
      const box = canvas.parentElement;
      const source = box.nextElementSibling;
      if (!source || source.type !== "application/json" || Chart.getChart(canvas)) {
        continue;
      }
      box.hidden = false;
      new Chart(canvas, config(JSON.parse(source.textContent)));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
