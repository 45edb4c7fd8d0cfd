// portal's one script: choosing a role preset ticks its permissions (the form works without it:
// with no box ticked, the chosen role's permissions apply).
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!(select instanceof HTMLSelectElement) || !select.dataset.fills) return;
  const option = select.selectedOptions[0];
  if (!option || !option.dataset.permissions) return;
  const chosen = new Set(option.dataset.permissions.split(" "));
  const boxes = document.querySelectorAll(`#${select.dataset.fills} input[type=checkbox]`);
  for (const box of boxes) {
    if (!box.disabled) box.checked = chosen.has(box.value);
  }
});
