import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
// The shared styles first: each component's and feature's own file (imported beside it)
// comes after them and may refine them.
import "./styles/tokens.css";
import "./styles/theme.css";
import "./styles/base.css";
import "./styles/forms.css";
import "./styles/alerts.css";
import "./styles/tables.css";
import { App } from "./app/App";
import { applyTheme } from "./lib/theme";

// public/theme.js set it before the first paint; again here, in case that script did not run
applyTheme();

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
