// Report charts (forecast, funnel, performance) with ECharts. Each chart is an element with
// data-chart="<id>"; the data is the JSON in <script id="<id>" type="application/json">
// written by json_script (no inline scripts: CSP). The tables beside the charts carry the
// same numbers for screen readers and tests.
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (error) { return null; }
  }

  function barOption(data, stacked) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 8, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.x || [], axisLabel: { interval: 0, rotate: (data.x || []).length > 6 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: (data.series || []).map(function (series) {
        return { name: series.name, type: "bar", stack: stacked ? "total" : undefined, data: series.data, emphasis: { focus: "series" } };
      })
    };
  }

  function funnelOption(data) {
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel",
        sort: "none",
        left: "10%",
        width: "80%",
        minSize: "10%",
        label: { show: true, position: "inside", formatter: "{b}: {c}" },
        data: data.series || []
      }]
    };
  }

  function optionFor(data) {
    if (data.kind === "funnel") { return funnelOption(data); }
    return barOption(data, data.kind === "stacked");
  }

  function draw(element) {
    if (element.dataset.chartReady) { return; }
    var data = read(element.dataset.chart);
    if (!data || typeof window.echarts === "undefined") { return; }
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(optionFor(data));
    element.dataset.chartReady = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
