// Suggestions as you type for every search box marked data-suggest: an ARIA combobox over
// /api/search. Without this script the boxes still submit to /search.
const DELAY_MS = 120;

function setUp(input) {
  const form = input.closest("form");
  const list = document.createElement("ul");
  list.id = `${input.id}-suggestions`;
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Suggestions");
  list.hidden = true;
  form.append(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  let timer = 0;
  let active = -1;
  let hits = [];
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const mark = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) input.setAttribute("aria-activedescendant", list.children[index].id);
  };

  const open = (hit) => {
    window.location.href = hit.href || `/search?q=${encodeURIComponent(hit.label)}`;
  };

  const show = (found) => {
    hits = found;
    list.replaceChildren(
      ...found.map((hit, i) => {
        const li = document.createElement("li");
        li.id = `${list.id}-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.append(hit.label);
        if (hit.kind) {
          const kind = document.createElement("span");
          kind.className = "hit-kind";
          kind.textContent = ` · ${hit.kind}`;
          li.append(kind);
        }
        li.addEventListener("mousedown", (event) => {
          event.preventDefault();
          open(hit);
        });
        return li;
      }),
    );
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    active = -1;
  };

  const ask = async () => {
    const text = input.value.trim();
    const ticket = ++asked;
    if (!text) return close();
    const response = await fetch(`/api/search?q=${encodeURIComponent(text)}&limit=8`, {
      headers: { Accept: "application/json" },
    });
    if (!response.ok || ticket !== asked) return;
    show((await response.json()).hits);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      mark((active + step + hits.length) % hits.length);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      open(hits[active]);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
}

document.querySelectorAll("input[data-suggest]").forEach(setUp);
