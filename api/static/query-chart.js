// Draws the bar chart a named query declares (`chart:` in its header) from the bars the
// page lists in data-bars; the table below the chart holds the same numbers, so a reader
// without JavaScript (or d3) loses nothing.
(function () {
  "use strict";
  const figure = document.getElementById("query-chart");
  const d3 = window.d3;
  if (!figure || !d3) return;
  const bars = JSON.parse(figure.dataset.bars || "[]").slice(0, 25);
  if (!bars.length) return;
  const rowHeight = 22, labelWidth = 190, width = 640, valueWidth = 40;
  const height = bars.length * rowHeight + 10;
  const x = d3.scaleLinear()
    .domain([0, d3.max(bars, (b) => b.value) || 1])
    .range([0, width - labelWidth - valueWidth]);
  const svg = d3.create("svg")
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("role", "img")
    .attr("aria-label", `${figure.querySelector("figcaption").textContent}: ` +
      bars.map((b) => `${b.label} ${b.value}`).join(", "));
  const row = svg.selectAll("g").data(bars).join("g")
    .attr("transform", (b, i) => `translate(0, ${i * rowHeight + 5})`);
  row.append("text").attr("x", labelWidth - 6).attr("y", rowHeight / 2).attr("dy", "0.35em")
    .attr("text-anchor", "end")
    .text((b) => (b.label.length > 28 ? b.label.slice(0, 27) + "…" : b.label));
  row.append("rect").attr("class", "bar").attr("x", labelWidth).attr("y", 3)
    .attr("height", rowHeight - 6).attr("width", (b) => x(b.value));
  row.append("text").attr("x", (b) => labelWidth + x(b.value) + 4).attr("y", rowHeight / 2)
    .attr("dy", "0.35em").text((b) => b.value);
  figure.insertBefore(svg.node(), figure.firstChild);
})();
