import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import type { NodeInfo } from "@/api/types";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { codeSpans, modelFacts, NodesSection, readyText } from "./NodesSection";

afterEach(() => vi.unstubAllGlobals());

const REASON = "weights missing on node node-b (toy-factor.txt): run `modelgallery fetch-models toy-weighted` there, then restart the node";

function node(overrides: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name: "node-b",
    host: "vm-b.internal",
    groups: ["cpu", "torch"],
    processes: 2,
    ready: 1,
    running: ["a".repeat(32)],
    jobs_done: 7,
    version: "0.1.0",
    protocol: 2,
    models: [
      { name: "toy-weighted", state: "unavailable", reason: REASON, load_ms: null, runtime: null },
      { name: "object-detection", state: "loaded", reason: null, load_ms: 1234, runtime: "onnxruntime" },
    ],
    ...overrides,
  };
}

describe("readyText", () => {
  it("counts the processes taking jobs", () => {
    expect(readyText(1, 2)).toBe("1 of 2 ready");
  });
});

describe("modelFacts", () => {
  it("gives the load time and the runtime", () => {
    expect(modelFacts({ load_ms: 1234, runtime: "onnxruntime" })).toBe("load time 1.23 s · runtime onnxruntime");
    expect(modelFacts({ load_ms: 80 })).toBe("load time 80 ms");
  });

  it("is empty when neither is known", () => {
    expect(modelFacts({ load_ms: null, runtime: null })).toBe("");
  });
});

describe("codeSpans", () => {
  it("sets the text between backticks apart", () => {
    expect(codeSpans("run `mg fetch` there")).toEqual([
      { text: "run ", code: false },
      { text: "mg fetch", code: true },
      { text: " there", code: false },
    ]);
  });

  it("keeps text without backticks, or with an unmatched one, as it is", () => {
    expect(codeSpans("no weights")).toEqual([{ text: "no weights", code: false }]);
    expect(codeSpans("a ` b")).toEqual([{ text: "a ` b", code: false }]);
  });
});

describe("NodesSection", () => {
  it("lists each node with its models, their state and why one is not loaded", async () => {
    const { fetchStub } = stubFetch({ "GET /api/admin/nodes": () => ({ body: [node()] }) });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<NodesSection />);

    const table = await screen.findByRole("table", { name: "Nodes" });
    const [row] = within(table).getAllByRole("row").slice(1);
    expect(within(row).getByText("node-b")).toBeInTheDocument();
    expect(within(row).getByText("vm-b.internal")).toBeInTheDocument();
    expect(within(row).getByText("cpu, torch")).toBeInTheDocument();
    expect(within(row).getByText("1 of 2 ready")).toBeInTheDocument();
    expect(within(row).getByText("Unavailable")).toHaveClass("badge-unavailable");
    expect(within(row).getByText("Ready")).toHaveClass("badge-loaded");
    expect(within(row).getByText("load time 1.23 s · runtime onnxruntime")).toBeInTheDocument();
    expect(within(row).getByText("modelgallery fetch-models toy-weighted", { selector: "code" })).toBeInTheDocument();
    expect(within(row).getByRole("link", { name: /^aaaaaaaa/ })).toHaveAttribute("href", expect.stringContaining("a".repeat(32)));
    expect(within(row).getByText("7")).toBeInTheDocument();
    // sorted by name
    const names = within(row).getAllByText(/^(toy-weighted|object-detection)$/).map((el) => el.textContent);
    expect(names).toEqual(["object-detection", "toy-weighted"]);
  });

  it("says when no node runs", async () => {
    const { fetchStub } = stubFetch({ "GET /api/admin/nodes": () => ({ body: [] }) });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<NodesSection />);
    expect(await screen.findByText("No node is running.")).toBeInTheDocument();
  });
});
