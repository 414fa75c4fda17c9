// Browse pages: apply a filter as soon as a box is ticked (the form works without this,
// through its Apply button).
const form = document.querySelector("form.facets");
if (form) {
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox]")) form.requestSubmit();
  });
}
