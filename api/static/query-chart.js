// Draws the chart a named query declares (`chart:` in its header) from the points the page
// lists in data-bars: one bar per row (type bar), or a line over the years or numbers of
// column x (type line). The table below the chart holds the same numbers, so a reader
// without JavaScript (or d3) loses nothing.
(function () {
  "use strict";
  const figure = document.getElementById("query-chart");
  const d3 = window.d3;
  if (!figure || !d3) return;
  const points = JSON.parse(figure.dataset.bars || "[]");
  if (!points.length) return;
  const caption = figure.querySelector("figcaption").textContent;
  const svg = figure.dataset.type === "line" ? line(points) : bars(points.slice(0, 25));
  if (svg) figure.insertBefore(svg, figure.firstChild);

  function bars(rows) {
    const rowHeight = 22, labelWidth = 190, width = 640, valueWidth = 40;
    const height = rows.length * rowHeight + 10;
    const x = d3.scaleLinear()
      .domain([0, d3.max(rows, (b) => b.value) || 1])
      .range([0, width - labelWidth - valueWidth]);
    const chart = d3.create("svg")
      .attr("viewBox", `0 0 ${width} ${height}`)
      .attr("role", "img")
      .attr("aria-label", `${caption}: ` + rows.map((b) => `${b.label} ${b.value}`).join(", "));
    const row = chart.selectAll("g").data(rows).join("g")
      .attr("transform", (b, i) => `translate(0, ${i * rowHeight + 5})`);
    row.append("text").attr("x", labelWidth - 6).attr("y", rowHeight / 2).attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .text((b) => (b.label.length > 28 ? b.label.slice(0, 27) + "…" : b.label));
    row.append("rect").attr("class", "bar").attr("x", labelWidth).attr("y", 3)
      .attr("height", rowHeight - 6).attr("width", (b) => x(b.value));
    row.append("text").attr("x", (b) => labelWidth + x(b.value) + 4).attr("y", rowHeight / 2)
      .attr("dy", "0.35em").text((b) => b.value);
    return chart.node();
  }

  // A count per year lists the years that have one; the years between them count 0, so the
  // line drops to the axis instead of drawing a slope the data does not have.
  function filled(rows) {
    const known = rows.map((p) => ({ x: Number(p.label), y: p.value }))
      .filter((p) => Number.isFinite(p.x)).sort((a, b) => a.x - b.x);
    if (!known.length || !known.every((p) => Number.isInteger(p.x))) return known;
    const byX = new Map(known.map((p) => [p.x, p.y]));
    const all = [];
    for (let x = known[0].x; x <= known[known.length - 1].x; x += 1) {
      all.push({ x, y: byX.get(x) ?? 0 });
    }
    return all;
  }

  function line(rows) {
    const data = filled(rows);
    if (!data.length) return null;
    const width = 640, height = 260;
    const margin = { top: 12, right: 16, bottom: 28, left: 40 };
    const [low, high] = d3.extent(data, (p) => p.x);
    const x = d3.scaleLinear().domain(low === high ? [low - 1, high + 1] : [low, high])
      .range([margin.left, width - margin.right]);
    const y = d3.scaleLinear().domain([0, d3.max(data, (p) => p.y) || 1]).nice()
      .range([height - margin.bottom, margin.top]);
    const chart = d3.create("svg")
      .attr("viewBox", `0 0 ${width} ${height}`)
      .attr("role", "img")
      .attr("aria-label", `${caption}: ` + data.map((p) => `${p.x} ${p.y}`).join(", "));
    const ticks = Math.min(data.length, 10);
    chart.append("g").attr("class", "axis")
      .attr("transform", `translate(0, ${height - margin.bottom})`)
      .call(d3.axisBottom(x).ticks(ticks).tickFormat(d3.format("d")));
    chart.append("g").attr("class", "axis").attr("transform", `translate(${margin.left}, 0)`)
      .call(d3.axisLeft(y).ticks(5).tickFormat(d3.format("d")));
    chart.append("path").datum(data).attr("class", "line")
      .attr("d", d3.line().x((p) => x(p.x)).y((p) => y(p.y)));
    chart.append("g").selectAll("circle").data(data).join("circle").attr("class", "point")
      .attr("cx", (p) => x(p.x)).attr("cy", (p) => y(p.y)).attr("r", 3.5)
      .append("title").text((p) => `${p.x}: ${p.y}`);
    return chart.node();
  }
})();
