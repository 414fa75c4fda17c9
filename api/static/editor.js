// The query editor (/editor): yasqe over the page's textarea, completion from this service
// only, results from /sparql shown in place. Without this script (or without yasqe) the form
// still works: Run sends the query to /sparql and its HTML results page answers.
//
// Why yasqe, and what it needed to run under the site's Content-Security-Policy: see
// docs/editor.md. In short: yasqe (CodeMirror 5) sets styles through the CSSOM, which the
// policy allows; its one inline style="" attribute (the syntax-error tooltip) is replaced
// below; its completers that ask prefix.cc and LOV are never enabled.

const form = document.getElementById("editor");
const textarea = document.getElementById("query");
const results = document.getElementById("results");
const statusLine = document.getElementById("status");
const problem = document.getElementById("problem");
const downloads = document.getElementById("downloads");
const tableBox = document.getElementById("table");
const graphBox = document.getElementById("graph");
const share = document.getElementById("share");
const endpoint = form.dataset.endpoint;

// SELECT and ASK answer SPARQL JSON, CONSTRUCT and DESCRIBE Turtle; errors come as JSON.
const ACCEPT = "application/sparql-results+json, text/turtle;q=0.9";
const NUMERIC = /#(integer|decimal|double|float|int|long|short|byte|nonNegativeInteger|positiveInteger|gYear)$/;
const DOWNLOADS = {
  table: [["CSV", "csv"], ["TSV", "tsv"], ["JSON", "json"]],
  graph: [["Turtle", "turtle", "ttl"], ["N-Triples", "ntriples", "nt"], ["JSON-LD", "jsonld", "jsonld"]],
  boolean: [["JSON", "json"]],
};

let prefixes = {}; // the graph's prefixes: prefix -> namespace
let links = null; // pages.local_href as data: {from, to}
let editor = null;

const text = () => (editor ? editor.getValue() : textarea.value);

// ------------------------------------------------------------------ the query in the URL

const timeoutBox = document.getElementById("timeout");

function editorUrl(query, run) {
  const params = new URLSearchParams({ query });
  if (timeoutBox.value) params.set("timeout", timeoutBox.value);
  if (run) params.set("run", "1");
  return `/editor?${params}`;
}

function remember(run) {
  const url = editorUrl(text(), run);
  history.replaceState(null, "", url);
  share.href = url;
}

// ------------------------------------------------------------------ the editor

// yasqe's syntax-error tooltip is HTML with an inline style attribute, which the policy
// refuses; each error marker gets this tooltip instead, built as elements.
function plainTooltips(yasqe) {
  const doc = yasqe.getDoc();
  for (let line = 0; line < doc.lineCount(); line += 1) {
    const marker = yasqe.lineInfo(line)?.gutterMarkers?.gutterErrorBar;
    if (!marker) continue;
    const state = yasqe.getTokenAt({ line, ch: doc.getLine(line).length }, true).state;
    const tip = document.createElement("div");
    tip.className = "yasqe_tooltip";
    if (state.errorMsg) {
      tip.textContent = state.errorMsg;
    } else {
      tip.append("This line is invalid. Expected: ");
      (state.possibleCurrent || []).forEach((expected, i) => {
        const strong = document.createElement("strong");
        strong.textContent = expected;
        tip.append(...(i ? [", ", strong] : [strong]));
      });
    }
    // Beside the editor's scroller, not inside it: a long list of expected tokens would
    // otherwise make the editor scroll under the pointer.
    marker.onmouseover = () => {
      const box = yasqe.getWrapperElement().closest(".editor-box");
      const at = marker.getBoundingClientRect();
      const origin = box.getBoundingClientRect();
      tip.style.top = `${at.bottom - origin.top}px`;
      tip.style.left = `${at.right - origin.left}px`;
      box.append(tip);
    };
    marker.onmouseout = () => tip.remove();
  }
}

function makeEditor() {
  const Yasqe = window.Yasqe;
  if (!Yasqe) return null;
  // yasqe's defaults enable completers that ask prefix.cc and LOV: none of them is enabled;
  // the graph's own are added once /api/editor/vocabulary answers.
  Yasqe.defaults.autocompleters = [];
  const box = document.createElement("div");
  box.className = "editor-box";
  textarea.after(box);
  textarea.hidden = true;
  const yasqe = new Yasqe(box, {
    value: textarea.value,
    autocompleters: ["variables"],
    persistenceId: null, // the URL holds the query, not localStorage
    consumeShareLink: null,
    createShareableLink: null,
    showQueryButton: false,
    resizeable: false,
    // The editor grows with the query (editor.css): no scroller of its own, which axe
    // would want focusable, and a shared query is seen whole.
    editorHeight: "auto",
    viewportMargin: Infinity,
    screenReaderLabel: "SPARQL query",
    extraKeys: {
      "Ctrl-Enter": () => form.requestSubmit(),
      "Cmd-Enter": () => form.requestSubmit(),
      // Tab indents inside the editor; Esc is the way out, to the next control.
      Esc: () => document.getElementById("run").focus(),
    },
  });
  const input = yasqe.getInputField();
  input.id = "query-input";
  document.getElementById("query-label").htmlFor = input.id;
  plainTooltips(yasqe);
  // CodeMirror's list of completions is a listbox without a name.
  yasqe.on("autocompletionShown", (_, widget) => widget.hints.setAttribute("aria-label", "Completions"));
  yasqe.on("changes", () => {
    plainTooltips(yasqe);
    textarea.value = yasqe.getValue();
    remember(false);
  });
  return yasqe;
}

// Each completion shows the term's label beside it.
function labelled(base, labels) {
  const shown = new Map();
  return {
    postProcessSuggestion(yasqe, token, iri) {
      const inserted = base.postProcessSuggestion(yasqe, token, iri);
      if (labels.get(iri)) shown.set(inserted, labels.get(iri));
      return inserted;
    },
    postprocessHints(yasqe, hints) {
      return hints.map((hint) => {
        const label = shown.get(hint.text);
        return label ? { ...hint, displayText: `${hint.text} · ${label}` } : hint;
      });
    },
  };
}

// The namespace a prefixed name or <IRI> being typed expands to, or "".
function expansion(yasqe, token) {
  const typed = token.string.trim();
  if (typed.startsWith("<")) return typed.slice(1);
  const colon = typed.indexOf(":");
  if (colon < 0) return "";
  const prefix = typed.slice(0, colon);
  const known = { ...prefixes, ...yasqe.getPrefixesFromQuery() };
  return known[prefix] ? known[prefix] + typed.slice(colon + 1) : "";
}

function addCompleters(yasqe, vocabulary) {
  const Yasqe = window.Yasqe;
  const labels = new Map();
  for (const term of [...vocabulary.classes, ...vocabulary.properties]) {
    if (term.label) labels.set(term.iri, term.label);
  }
  const declared = Object.entries(prefixes).map(([p, ns]) => `${p}: <${ns}>`).sort();
  // The prefix completer also declares a prefix as soon as it is typed.
  Yasqe.forkAutocompleter("prefixes", { name: "graph-prefixes", get: declared, persistenceId: null }, false);
  const known = Yasqe.Autocompleters.class;
  Yasqe.forkAutocompleter("class", {
    name: "graph-classes",
    get: vocabulary.classes.map((t) => t.iri),
    bulk: true,
    persistenceId: null,
    ...labelled(known, labels),
  }, false);
  Yasqe.forkAutocompleter("property", {
    name: "graph-properties",
    get: vocabulary.properties.map((t) => t.iri),
    bulk: true,
    persistenceId: null,
    ...labelled(Yasqe.Autocompleters.property, labels),
  }, false);
  Yasqe.forkAutocompleter("class", {
    name: "graph-entities",
    bulk: false,
    persistenceId: null,
    isValidCompletionPosition(y) {
      const token = y.getCompleteToken();
      if (!token.string || "?$".includes(token.string[0])) return false;
      if (token.state.possibleCurrent.indexOf("a") >= 0) return false; // a property's place
      if (known.isValidCompletionPosition(y)) return false; // a class's place
      return expansion(y, token).startsWith(links.from);
    },
    get(y, token) {
      // Expanded here too: yasqe expands only the prefixes the query declares.
      const q = expansion(y, token) || token.autocompletionString;
      const params = new URLSearchParams({ kind: "entity", q });
      return fetch(`${form.dataset.complete}?${params}`)
        .then((r) => (r.ok ? r.json() : { items: [] }))
        .then((found) => {
          found.items.forEach((item) => labels.set(item.iri, item.label));
          return found.items.map((item) => item.iri);
        });
    },
    ...labelled(known, labels),
  }, false);
  for (const name of ["graph-prefixes", "graph-classes", "graph-properties", "graph-entities"]) {
    yasqe.enableCompleter(name).catch((err) => console.warn(err));
  }
}

// ------------------------------------------------------------------ results

function localHref(iri) {
  return links && iri.startsWith(links.from) ? links.to + iri.slice(links.from.length) : null;
}

function compact(iri) {
  let best = "";
  for (const [prefix, ns] of Object.entries(prefixes)) {
    if (iri.startsWith(ns) && ns.length > (prefixes[best] || "").length) best = prefix;
  }
  const rest = best ? iri.slice(prefixes[best].length) : "";
  return best && /^[\w.-]*$/.test(rest) ? `${best}:${rest}` : iri;
}

function cell(term) {
  const td = document.createElement("td");
  if (!term) return td;
  if (term.type === "uri") {
    const href = localHref(term.value);
    const shown = compact(term.value);
    if (href) {
      const a = document.createElement("a");
      a.href = href;
      a.textContent = shown;
      td.append(a);
    } else {
      td.textContent = shown;
    }
    td.title = term.value;
  } else if (term.type === "bnode") {
    td.textContent = `_:${term.value}`;
  } else {
    td.textContent = term.value;
    if (term["xml:lang"]) td.lang = term["xml:lang"];
  }
  return td;
}

function sortKey(term) {
  if (!term) return [2, ""];
  if (term.datatype && NUMERIC.test(term.datatype) && !Number.isNaN(Number(term.value))) {
    return [0, Number(term.value)];
  }
  return [1, term.value];
}

function compare(a, b) {
  const [ka, va] = sortKey(a);
  const [kb, vb] = sortKey(b);
  if (ka !== kb) return ka - kb;
  return ka === 0 ? va - vb : String(va).localeCompare(String(vb), undefined, { numeric: true });
}

// The rows are drawn PAGE at a time (a result may hold the service's whole row cap); the
// sort applies to all of them.
const PAGE = 500;

function table(vars, bindings) {
  const box = document.createElement("div");
  const t = document.createElement("table");
  t.className = "results";
  const caption = document.createElement("caption");
  caption.className = "visually-hidden";
  caption.textContent = "Query results; the column buttons sort the rows";
  const head = document.createElement("thead");
  const headRow = document.createElement("tr");
  const body = document.createElement("tbody");
  const more = document.createElement("button");
  more.type = "button";
  more.className = "more-rows";
  let rows = bindings.map((b) => ({ b, tr: null }));
  let shown = Math.min(PAGE, rows.length);

  const draw = () => {
    body.replaceChildren(
      ...rows.slice(0, shown).map((row) => {
        if (!row.tr) {
          row.tr = document.createElement("tr");
          row.tr.append(...vars.map((v) => cell(row.b[v])));
        }
        return row.tr;
      }),
    );
    more.hidden = shown >= rows.length;
    more.textContent = `Show ${Math.min(PAGE, rows.length - shown)} more rows (${shown} of ${rows.length} shown)`;
  };
  more.addEventListener("click", () => {
    shown = Math.min(shown + PAGE, rows.length);
    draw();
  });

  vars.forEach((v) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.setAttribute("aria-sort", "none");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.textContent = v;
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headRow.querySelectorAll("th").forEach((h) => h.setAttribute("aria-sort", "none"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      rows = [...rows].sort((x, y) => (ascending ? 1 : -1) * compare(x.b[v], y.b[v]));
      draw();
    });
    th.append(button);
    headRow.append(th);
  });
  head.append(headRow);
  draw();
  t.append(caption, head, body);
  box.append(t, more);
  return box;
}

function offerDownloads(kind, query) {
  const links = DOWNLOADS[kind].map(([label, format, ext]) => {
    const a = document.createElement("a");
    a.href = `${endpoint}?${new URLSearchParams({ query, format })}`;
    a.download = `smpkg-results.${ext || format}`;
    a.textContent = label;
    return a;
  });
  downloads.replaceChildren("Download: ", ...links.flatMap((a, i) => (i ? [" · ", a] : [a])));
  downloads.hidden = false;
}

const PROBLEMS = {
  400: "The query has an error",
  403: "The service will not run this query",
  413: "The query is too large",
  503: "The service is busy: every query worker stayed busy; try again in a moment",
  504: "The query ran past its time limit and was stopped. Narrow it (a LIMIT, fewer OPTIONAL parts, a more specific pattern) or allow it more time, and run it again",
};

async function showProblem(response) {
  let detail = "";
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    const doc = await response.json();
    detail = doc.detail || doc.title || "";
  } else {
    detail = await response.text();
  }
  const heading = document.createElement("p");
  heading.className = "problem-title";
  heading.textContent = `${PROBLEMS[response.status] || `The service answered ${response.status}`}.`;
  const message = document.createElement("pre");
  message.textContent = detail;
  problem.replaceChildren(heading, ...(detail ? [message] : []));
  problem.hidden = false;
  statusLine.textContent = `Error ${response.status}.`;
}

function clear() {
  results.hidden = false;
  problem.hidden = true;
  problem.replaceChildren();
  downloads.hidden = true;
  tableBox.replaceChildren();
  graphBox.hidden = true;
  graphBox.textContent = "";
}

function truncationNote(response, noun) {
  if (response.headers.get("SMPKG-Truncated") !== "true") return "";
  const cap = response.headers.get("SMPKG-Max-Rows");
  return ` The result was cut: the service returns at most ${cap} ${noun} per query, so only the first ${cap} are shown (and downloaded). Add ORDER BY with LIMIT and OFFSET to read the rest page by page.`;
}

async function run() {
  const query = text();
  clear();
  statusLine.textContent = "Running…";
  remember(true);
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { Accept: ACCEPT },
      body: new URLSearchParams({ query, ...(timeoutBox.value ? { timeout: timeoutBox.value } : {}) }),
    });
  } catch (err) {
    statusLine.textContent = `The service could not be reached (${err.message}).`;
    return;
  }
  if (!response.ok) {
    await showProblem(response);
    return;
  }
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("turtle")) {
    graphBox.textContent = await response.text();
    graphBox.hidden = false;
    statusLine.textContent = `A graph, shown as Turtle.${truncationNote(response, "triples")}`;
    offerDownloads("graph", query);
    return;
  }
  const doc = await response.json();
  await ready; // the prefixes and the link rule
  if (typeof doc.boolean === "boolean") {
    statusLine.textContent = `The answer is ${doc.boolean ? "yes (true)" : "no (false)"}.`;
    offerDownloads("boolean", query);
    return;
  }
  const bindings = doc.results.bindings;
  const n = bindings.length;
  statusLine.textContent = `${n} row${n === 1 ? "" : "s"}.${truncationNote(response, "rows")}`;
  tableBox.append(table(doc.head.vars, bindings));
  offerDownloads("table", query);
}

// ------------------------------------------------------------------ start

timeoutBox.addEventListener("change", () => remember(false));
form.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});

editor = makeEditor();
share.href = editorUrl(text(), false);
const ready = fetch(form.dataset.vocabulary)
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`vocabulary: ${r.status}`))))
  .then((vocabulary) => {
    prefixes = vocabulary.prefixes;
    links = vocabulary.links;
    if (editor) addCompleters(editor, vocabulary);
    form.dataset.ready = "true";
  })
  .catch((err) => console.warn("no completion:", err));
if (new URLSearchParams(window.location.search).get("run")) run();
