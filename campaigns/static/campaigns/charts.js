// Draws every chart on the page ([data-chart]) with Apache ECharts, from the description
// the server put beside it with json_script (campaigns/measurement/charts.py). No inline
// script, no eval: the Content-Security-Policy of the hub holds. Export: PNG through
// ECharts' saveAsImage, SVG by drawing the same options once more with the SVG renderer.
(function () {
  "use strict";

  // One palette for every chart, so that a series (a journey phase) has the same colour in
  // each chart of a page, and a Sankey node's "colour" index picks from it.
  var PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452",
                 "#9a60b4", "#ea7ccc"];
  var SVG_ICON = "path://M4,4 L20,4 L20,20 L4,20 Z M8,15 L11,8 L13,13 L14.5,10.5 L17,15 Z";

  function xyOptions(spec) {
    var bar = spec.kind === "bar";
    return {
      tooltip: {trigger: "axis"},
      xAxis: {type: "category", data: spec.categories, boundaryGap: bar},
      yAxis: {type: "value", minInterval: 1},
      series: spec.series.map(function (series) {
        var item = {name: series.name, type: spec.kind, data: series.data, emphasis: {focus: "series"}};
        if (spec.stacked) {
          item.stack = "total";
          if (!bar) { item.areaStyle = {}; }
        }
        return item;
      })
    };
  }

  function funnelOptions(spec) {
    return {
      tooltip: {trigger: "item"},
      series: [{type: "funnel", name: spec.title, data: spec.series[0].data, top: 48, bottom: 16,
                label: {show: true, position: "inside"}}]
    };
  }

  function sankeyOptions(spec) {
    return {
      tooltip: {trigger: "item"},
      series: [{
        type: "sankey",
        data: spec.nodes.map(function (node) {
          var item = {name: node.name, depth: node.depth};
          if (node.colour !== undefined) {
            item.itemStyle = {color: PALETTE[node.colour % PALETTE.length]};
          }
          return item;
        }), links: spec.links, top: 48, bottom: 16, left: 16, right: 160,
        nodeAlign: "left", emphasis: {focus: "adjacency"}, lineStyle: {color: "source", opacity: 0.35},
        label: {fontSize: 11}
      }]
    };
  }

  var BUILDERS = {line: xyOptions, bar: xyOptions, funnel: funnelOptions, sankey: sankeyOptions};

  function baseOptions(spec) {
    var options = BUILDERS[spec.kind](spec);
    options.color = PALETTE;
    options.legend = {type: "scroll", top: 0, left: 0, right: 72};
    if (spec.kind === "line" || spec.kind === "bar") {
      options.grid = {left: 16, right: 24, top: 48, bottom: 16, containLabel: true};
    }
    return options;
  }

  function download(filename, blob) {
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
    window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
  }

  function saveAsSvg(element, spec) {
    var scratch = document.createElement("div");
    scratch.style.cssText = "position: absolute; left: -10000px; top: 0;";
    document.body.appendChild(scratch);
    var copy = echarts.init(scratch, null, {
      renderer: "svg", width: element.clientWidth, height: element.clientHeight
    });
    var options = baseOptions(spec);
    options.animation = false;
    options.backgroundColor = "#fff";
    copy.setOption(options);
    var svg = copy.renderToSVGString();
    copy.dispose();
    scratch.remove();
    download(spec.id + ".svg", new Blob([svg], {type: "image/svg+xml"}));
  }

  // Wagtail's admin theme (account settings): dark, light, or the system's.
  function darkTheme() {
    var classes = document.documentElement.classList;
    return classes.contains("w-theme-dark") || (classes.contains("w-theme-system") &&
      window.matchMedia("(prefers-color-scheme: dark)").matches);
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.chartSpec);
    if (!source || element.dataset.chartDrawn) { return; }
    var spec = JSON.parse(source.textContent);
    var options = baseOptions(spec);
    var dark = darkTheme();
    options.backgroundColor = "transparent";
    // Top right, 16 px icons 10 px apart: PNG, then SVG.
    options.toolbox = {
      top: 0, right: 0, itemSize: 16, itemGap: 10,
      feature: {
        saveAsImage: {
          type: "png", name: spec.id, title: spec.labels.png, backgroundColor: dark ? "#1e1e1e" : "#fff"
        },
        mySaveAsSvg: {
          show: true, title: spec.labels.svg, icon: SVG_ICON,
          onclick: function () { saveAsSvg(element, spec); }
        }
      }
    };
    var chart = echarts.init(element, dark ? "dark" : null, {renderer: "canvas"});
    chart.setOption(options);
    element.dataset.chartDrawn = "true";
    new ResizeObserver(function () { chart.resize(); }).observe(element);
  }

  function drawAll() {
    if (typeof echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
