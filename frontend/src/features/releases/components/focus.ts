/** After a refused submit: the first field with a problem takes the focus (its message is tied
 * to it), in the form's order; `aliases` names the field a form-wide problem belongs to. */
export function focusFirstProblem(idPrefix: string, order: readonly string[], problems: Record<string, string | undefined>, aliases: Record<string, string> = {}) {
  const first = order.find((field) => problems[field]);
  if (first) document.getElementById(`${idPrefix}-${aliases[first] ?? first}`)?.focus();
}
