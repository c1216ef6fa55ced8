import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { RuntimeCell } from "./RuntimeCell";

describe("RuntimeCell", () => {
  it("shows the runtime chosen and what each candidate measured", () => {
    render(
      <RuntimeCell
        runtime={{
          requested: "auto",
          chosen: "onnxruntime",
          candidates: [
            { name: "torch", ms: 154.08, error: null },
            { name: "onnxruntime", ms: 90.29, error: null },
            { name: "openvino", ms: null, error: "ImportError: No module named 'openvino'" },
          ],
          measured_at: "2026-12-07T01:00:00+00:00",
          reused: true,
        }}
      />,
    );
    expect(screen.getByText("onnxruntime", { selector: "strong" })).toBeInTheDocument();
    expect(screen.getByText("(fastest)", { exact: false })).toBeInTheDocument();
    expect(screen.getByText("torch: 154.1 ms per image")).toBeInTheDocument();
    expect(screen.getByText("openvino: not usable (ImportError: No module named 'openvino')")).toBeInTheDocument();
    // why every worker serves on the same runtime
    expect(screen.getByText(/^Measured once on this machine \(.+\); every worker and later start serves on it\.$/)).toBeInTheDocument();
  });

  it("says what runs a loaded model without a runtime, in words", () => {
    render(<RuntimeCell runtime={null} state="loaded" />);
    expect(screen.getByText("No network: plain Python code (NumPy, SciPy)")).toBeInTheDocument();
  });

  it("shows a dash for a model that has not loaded yet", () => {
    const { container } = render(<RuntimeCell runtime={null} state="unloaded" />);
    expect(container).toHaveTextContent("–chosen when it loads");
    expect(screen.queryByText(/its own/)).not.toBeInTheDocument();
  });
});
