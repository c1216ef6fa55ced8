import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
// The shared styles first: each component's and feature's own file (imported beside it)
// comes after them and may refine them.
import "./styles/tokens.css";
import "./styles/base.css";
import "./styles/forms.css";
import "./styles/alerts.css";
import "./styles/tables.css";
import { App } from "./app/App";

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
