// The network picture: cytoscape (served from node_modules, its URL in data-cytoscape) draws
// the centre and its neighbours from /api/pictures/network; a click on a node adds that
// node's neighbours. The state (focus, expanded nodes, hidden relations) is kept in the URL.
import { downloadBlob, setParam } from "/static/pictures-common.js";

const script = document.getElementById("network-script");
const box = document.getElementById("network");
const COLOURS = {
  programme: "#0b57d0", country: "#137333", organisation: "#b3261e",
  framework: "#8a5200", sector: "#6f42c1", grouping: "#00796b", other: "#555555",
};

function list(name) {
  return (new URLSearchParams(window.location.search).get(name) || "").split(",").filter(Boolean);
}

function styles() {
  return [
    { selector: "node", style: {
      "background-color": (n) => COLOURS[n.data("kind")] || COLOURS.other,
      label: "data(label)", "font-size": 12, "text-wrap": "ellipsis", "text-max-width": 140,
      width: 18, height: 18, color: "#1d1d1f" } },
    { selector: "node.expanded", style: { "border-width": 3, "border-color": "#1d1d1f" } },
    { selector: "node.focus", style: { width: 28, height: 28 } },
    { selector: "edge", style: {
      width: 1.5, "line-color": "#9a9aa0", "target-arrow-color": "#9a9aa0",
      "target-arrow-shape": "triangle", "curve-style": "bezier" } },
  ];
}

function link(node) {
  const a = document.createElement("a");
  a.href = node.href;
  a.textContent = node.label;
  return a;
}

function tableRow(edge, names, done) {
  const tr = document.createElement("tr");
  tr.dataset.relation = edge.relation;
  const [source, target] = [names[edge.source], names[edge.target]];
  const other = done.has(source.key) ? target : source;
  const cells = [link(source), edge.label, link(target), other.kind, ""].map((content) => {
    const td = document.createElement("td");
    td.append(content);
    return td;
  });
  if (!done.has(other.key)) {
    const more = document.createElement("a");
    more.href = `?focus=${encodeURIComponent(done.values().next().value)}&expand=${encodeURIComponent(other.key)}`;
    more.dataset.expand = other.key;
    more.textContent = "add its neighbours";
    cells[4].replaceChildren(more);
  }
  tr.append(...cells);
  return tr;
}

async function main() {
  const { default: cytoscape } = await import(script.dataset.cytoscape);
  // Cytoscape inserts an inline <style> (which the CSP refuses) unless an element with this
  // id exists; the rule it would add is in site.css.
  if (!document.getElementById("__________cytoscape_stylesheet")) {
    const marker = document.createElement("meta");
    marker.id = "__________cytoscape_stylesheet";
    document.head.append(marker);
  }
  for (const el of document.querySelectorAll(".needs-js")) el.hidden = false;
  const cy = cytoscape({ container: box, style: styles(), minZoom: 0.2, maxZoom: 3 });
  box.cy = cy; // the instance, for the end-to-end test and for whoever opens the console
  // Cytoscape follows window resizes late (debounced) and keeps its viewport: follow the box
  // itself at once, and fit the picture to it.
  new ResizeObserver(() => { cy.resize(); cy.fit(undefined, 24); }).observe(box);
  const focus = box.dataset.focus;
  const expanded = list("expand");
  const hidden = new Set(list("hide"));
  const loaded = new Set();
  const tbody = document.querySelector("#network-table tbody");
  const seenEdges = new Set();
  let interactive = false; // the rows of the URL's state are on the page already

  async function load(key) {
    const response = await fetch(`/api/pictures/network?focus=${encodeURIComponent(key)}`);
    if (!response.ok) return false;
    const doc = await response.json();
    const names = Object.fromEntries(doc.nodes.map((n) => [n.id, n]));
    loaded.add(key).add(doc.focus.key);
    for (const n of doc.nodes) {
      if (cy.getElementById(n.id).empty()) cy.add({ group: "nodes", data: n });
    }
    for (const e of doc.edges) {
      const id = `${e.source} ${e.relation} ${e.target}`;
      if (seenEdges.has(id)) continue;
      seenEdges.add(id);
      cy.add({ group: "edges", data: { id, ...e } });
      if (interactive) tbody.append(tableRow(e, names, loaded));
    }
    cy.getElementById(doc.focus.id).addClass("expanded");
    return true;
  }

  function applyFilters() {
    cy.edges().forEach((e) => {
      e.style("display", hidden.has(e.data("relation")) ? "none" : "element");
    });
    for (const tr of tbody.querySelectorAll("tr")) tr.hidden = hidden.has(tr.dataset.relation);
  }

  function sync() {
    setParam("expand", expanded.join(","));
    const url = setParam("hide", [...hidden].join(","));
    document.getElementById("network-csv").href = `/pictures/network.csv${url.search}`;
    box.dataset.nodes = String(cy.nodes().length);
  }

  function layout() {
    cy.layout({ name: "cose", animate: false, nodeDimensionsIncludeLabels: true }).run();
  }

  await load(focus);
  cy.getElementById(cy.nodes()[0].id()).addClass("focus");
  for (const key of expanded) await load(key);
  for (const box of document.querySelectorAll(".relations input")) {
    box.checked = !hidden.has(box.value);
    box.addEventListener("change", () => {
      if (box.checked) hidden.delete(box.value); else hidden.add(box.value);
      applyFilters(); sync();
    });
  }
  applyFilters(); layout(); sync();

  interactive = true;
  async function expand(key) {
    if (loaded.has(key)) return;
    if (await load(key)) {
      expanded.push(key);
      for (const a of tbody.querySelectorAll("a[data-expand]")) {
        if (loaded.has(a.dataset.expand)) a.remove();
      }
      applyFilters(); layout(); sync();
    }
  }
  cy.on("tap", "node", (event) => expand(event.target.data("key")));
  tbody.addEventListener("click", (event) => {
    const a = event.target.closest("a[data-expand]");
    if (!a) return;
    event.preventDefault();
    expand(a.dataset.expand);
  });
  cy.on("dbltap", "node", (event) => { window.location.href = event.target.data("href"); });
  document.getElementById("network-png").addEventListener("click", () => {
    downloadBlob(cy.png({ full: true, bg: "#ffffff", scale: 2, output: "blob" }), "smpkg-network.png");
  });
}

if (script && box) main();
