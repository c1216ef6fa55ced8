// Sets the colour theme before the first paint, so that no page flashes in the wrong one:
// the choice kept by the header's theme button ("light" or "dark"; none follows the system).
// A classic script in <head>, from this origin (the CSP allows no inline script);
// src/lib/theme.ts then keeps the attribute up to date. Keep the key and values in step.
(function () {
  var choice = null;
  try {
    choice = window.localStorage.getItem("theme");
  } catch (e) {
    // storage blocked: follow the system
  }
  var dark =
    choice === "dark" ||
    (choice !== "light" && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
