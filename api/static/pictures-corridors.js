// The corridors picture: the page's corridors (JSON in #corridor-data) drawn on a world map
// (d3-geo over world-atlas, through topojson-client, all served by the app) and as flows
// (d3-sankey). Clicking a corridor, anywhere, lists its programmes and puts it in the URL;
// without this script the table's links do the same through the server.
import { downloadSvg, setParam, svgElement } from "/static/pictures-common.js";

const data = JSON.parse(document.getElementById("corridor-data").textContent);
const listing = document.getElementById("corridor-programmes");
const byKey = Object.fromEntries(data.map((c) => [c.key, c]));
// world-atlas names a few countries differently from the graph.
const ATLAS_NAMES = {
  "Bosnia and Herzegovina": "Bosnia and Herz.",
  "Czech Republic": "Czechia",
  "United States": "United States of America",
  "Dominican Republic": "Dominican Rep.",
  "Central African Republic": "Central African Rep.",
  "Democratic Republic of the Congo": "Dem. Rep. Congo",
  "South Sudan": "S. Sudan",
};
const widthOf = (n) => 1 + Math.sqrt(n) * 1.6;

function pick(key) {
  const corridor = byKey[key];
  if (!corridor) return;
  setParam("corridor", key);
  listing.replaceChildren();
  const h2 = document.createElement("h2");
  const n = corridor.programmes.length;
  h2.textContent = `${corridor.origin.label} → ${corridor.destination.label}: ${n} programme${n === 1 ? "" : "s"}`;
  const ul = document.createElement("ul");
  for (const p of corridor.programmes) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = p.href; a.textContent = p.label;
    li.append(a); ul.append(li);
  }
  listing.append(h2, ul);
  for (const el of document.querySelectorAll("[data-key]")) {
    el.classList.toggle("picked", el.dataset.key === key);
  }
  listing.focus();
}

function clickable(el, corridor) {
  el.dataset.key = corridor.key;
  el.setAttribute("tabindex", "0");
  el.setAttribute("role", "button");
  el.setAttribute("aria-label", `${corridor.origin.label} to ${corridor.destination.label}: ${corridor.programmes.length} programmes`);
  const title = svgElement("title");
  title.textContent = el.getAttribute("aria-label");
  el.append(title);
  el.addEventListener("click", () => pick(corridor.key));
  el.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(corridor.key); }
  });
}

async function drawMap(d3, topojson, atlasUrl) {
  const holder = document.getElementById("corridor-map");
  const topology = await (await fetch(atlasUrl)).json();
  const countries = topojson.feature(topology, topology.objects.countries).features;
  const [w, h] = [960, 500];
  const projection = d3.geoNaturalEarth1().fitSize([w, h], { type: "Sphere" });
  const path = d3.geoPath(projection);
  const svg = svgElement("svg", { viewBox: `0 0 ${w} ${h}`, role: "group", "aria-label": "Corridors on a world map" });
  const land = svgElement("g", { fill: "#e6e6ea", stroke: "#ffffff", "stroke-width": "0.5" });
  const centre = {};
  for (const f of countries) {
    land.append(svgElement("path", { d: path(f) }));
    centre[f.properties.name] = d3.geoCentroid(f);
  }
  svg.append(land);
  const lines = svgElement("g", { fill: "none", stroke: "#0b57d0", "stroke-opacity": "0.7", "stroke-linecap": "round" });
  const unmapped = new Set();
  for (const c of [...data].reverse()) {
    const a = centre[ATLAS_NAMES[c.origin.label] || c.origin.label];
    const b = centre[ATLAS_NAMES[c.destination.label] || c.destination.label];
    if (!a) unmapped.add(c.origin.label);
    if (!b) unmapped.add(c.destination.label);
    if (!a || !b) continue;
    const line = svgElement("path", {
      class: "corridor", d: path({ type: "LineString", coordinates: [a, b] }),
      "stroke-width": String(widthOf(c.programmes.length)),
    });
    clickable(line, c);
    lines.append(line);
  }
  svg.append(lines);
  holder.append(svg);
  if (unmapped.size) {
    document.getElementById("corridor-unmapped").textContent =
      `Too small for this map (their corridors are in the table and the flows): ${[...unmapped].sort().join(", ")}.`;
  }
}

function drawFlows(d3) {
  const holder = document.getElementById("corridor-flows");
  const nodes = new Map();
  const node = (side, c) => {
    const id = `${side}:${c.key}`;
    if (!nodes.has(id)) nodes.set(id, { id, name: c.label });
    return id;
  };
  const links = data.map((c) => ({
    source: node("o", c.origin), target: node("d", c.destination), value: c.programmes.length, corridor: c,
  }));
  const h = Math.max(240, nodes.size * 16);
  const w = 960;
  const graph = d3.sankey().nodeId((n) => n.id).nodeWidth(10).nodePadding(6)
    .extent([[1, 5], [w - 1, h - 5]])({ nodes: [...nodes.values()].map((n) => ({ ...n })), links });
  const svg = svgElement("svg", { viewBox: `0 0 ${w} ${h}`, role: "group", "aria-label": "Corridors as flows" });
  const linkG = svgElement("g", { fill: "none", stroke: "#0b57d0", "stroke-opacity": "0.35" });
  const shape = d3.sankeyLinkHorizontal();
  for (const l of graph.links) {
    const p = svgElement("path", { class: "corridor", d: shape(l), "stroke-width": String(Math.max(1, l.width)) });
    clickable(p, l.corridor);
    linkG.append(p);
  }
  const nodeG = svgElement("g", { "font-size": "11", fill: "#1d1d1f" });
  for (const n of graph.nodes) {
    nodeG.append(svgElement("rect", { x: n.x0, y: n.y0, width: n.x1 - n.x0, height: Math.max(1, n.y1 - n.y0), fill: "#555" }));
    const left = n.x0 < w / 2;
    const t = svgElement("text", { x: left ? n.x1 + 6 : n.x0 - 6, y: (n.y0 + n.y1) / 2, dy: "0.35em", "text-anchor": left ? "start" : "end" });
    t.textContent = n.name;
    nodeG.append(t);
  }
  svg.append(linkG, nodeG);
  holder.append(svg);
}

for (const a of document.querySelectorAll("a[data-corridor]")) {
  a.addEventListener("click", (event) => { event.preventDefault(); pick(a.dataset.corridor); });
}
for (const button of document.querySelectorAll("[data-download-svg]")) {
  button.addEventListener("click", () => {
    const svg = document.querySelector(`#${button.dataset.downloadSvg} svg`);
    if (svg) downloadSvg(svg, `smpkg-${button.dataset.downloadSvg}.svg`);
  });
}
const { d3, topojson } = window;
const atlas = document.querySelector(".corridor-pictures").dataset.atlas;
if (d3 && d3.sankey && data.length) drawFlows(d3);
if (d3 && topojson && atlas && data.length) drawMap(d3, topojson, atlas);
