// Compare: a picker that finds programmes by name through /api/search and adds them to the
// form's list (the form works without it: names and prefixed names are typed in the list).
const input = document.getElementById("compare-search");
const items = document.getElementById("compare-items");
const box = document.getElementById("compare-suggestions");
const PROGRAMMES = "https://w3id.org/smpkg/id/programme/";

function curie(iri) {
  return iri.startsWith(PROGRAMMES) ? `prog:${iri.slice(PROGRAMMES.length)}` : iri;
}

function add(iri) {
  const list = items.value.split(",").map((s) => s.trim()).filter(Boolean);
  if (!list.includes(curie(iri))) list.push(curie(iri));
  items.value = list.join(", ");
  input.value = "";
  box.hidden = true;
  input.setAttribute("aria-expanded", "false");
  if (list.length >= 2) items.form.requestSubmit();
}

let timer;
async function suggest() {
  const text = input.value.trim();
  if (!text) { box.hidden = true; return; }
  const response = await fetch(`/api/search?q=${encodeURIComponent(text)}&limit=12`);
  if (!response.ok) return;
  const hits = (await response.json()).hits.filter((h) => h.iri.startsWith(PROGRAMMES));
  box.replaceChildren();
  hits.forEach((hit, i) => {
    const li = document.createElement("li");
    li.id = `compare-option-${i}`;
    li.setAttribute("role", "option");
    li.textContent = `${hit.label} `;
    const kind = document.createElement("span");
    kind.className = "hit-kind"; kind.textContent = hit.kind;
    li.append(kind);
    li.addEventListener("click", () => add(hit.iri));
    box.append(li);
  });
  box.hidden = hits.length === 0;
  input.setAttribute("aria-expanded", String(!box.hidden));
}

if (input && items && box) {
  input.closest(".compare-add").hidden = false;
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 120); });
  input.addEventListener("keydown", (event) => {
    const options = [...box.querySelectorAll("[role=option]")];
    if (!options.length) return;
    const at = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = (at + (event.key === "ArrowDown" ? 1 : -1) + options.length) % options.length;
      options.forEach((o, i) => o.setAttribute("aria-selected", String(i === next)));
      input.setAttribute("aria-activedescendant", options[next].id);
    } else if (event.key === "Enter" && at >= 0) {
      event.preventDefault();
      options[at].click();
    }
  });
}
