/* The leaders' dashboard: draws each chart of the page with the locally served ECharts, from the JSON
   data block #dashboard-data (written by Django's json_script: data, not script). A click on a bar, a
   point or a slice opens the work queue listing its petitions (the link each point carries). */
(function () {
  "use strict";
  var COLORS = ["#c43d34", "#466eaa", "#e0a030", "#3f8f5a", "#8a5cb8", "#2a9bb0", "#b0607a", "#7a7a7a"];
  var FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif';

  function points(series) {
    return series.values.map(function (v, i) {
      return { value: v, url: (series.links && series.links[i]) || "" };
    });
  }

  function optionFor(chart) {
    var base = { color: COLORS, textStyle: { fontFamily: FONT }, animation: false,
      tooltip: { trigger: chart.kind === "pie" ? "item" : "axis", confine: true },
      grid: { left: 8, right: 24, top: 28, bottom: 8, containLabel: true } };
    if (chart.kind === "pie") {
      var s = chart.series[0];
      base.legend = { type: "scroll", orient: "vertical", right: 0, top: "middle" };
      base.series = [{ type: "pie", radius: ["35%", "70%"], center: ["40%", "50%"], name: s.name,
        label: { formatter: "{b}\n{c}（{d}%）" },
        data: points(s).map(function (p, i) { p.name = chart.labels[i]; return p; }) }];
      return base;
    }
    if (chart.kind === "hbar") {
      // largest on top: ECharts draws the first category at the bottom
      base.yAxis = { type: "category", data: chart.labels.slice().reverse(), axisLabel: { width: 130, overflow: "truncate" } };
      base.xAxis = { type: "value", minInterval: 1 };
      base.series = chart.series.map(function (s) {
        return { type: "bar", name: s.name, data: points(s).reverse(), label: { show: true, position: "right" } };
      });
      return base;
    }
    // "line": the first series as columns (each a day or month to click), the others as lines
    base.legend = { top: 0, right: 0 };
    base.xAxis = { type: "category", data: chart.labels };
    base.yAxis = { type: "value", minInterval: 1 };
    base.series = chart.series.map(function (s, i) {
      return { type: i === 0 ? "bar" : "line", name: s.name, data: points(s), smooth: false };
    });
    return base;
  }

  function draw() {
    var block = document.getElementById("dashboard-data");
    if (!block || !window.echarts) { return; }
    var data = JSON.parse(block.textContent);
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = data[el.getAttribute("data-chart")];
      if (!chart) { return; }
      var c = window.echarts.init(el, null, { renderer: "canvas" });
      c.setOption(optionFor(chart));
      c.on("click", function (p) {
        if (p.data && p.data.url) { window.location.href = p.data.url; }
      });
      el.setAttribute("data-drawn", "1");
      drawn.push(c);
    });
    window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
