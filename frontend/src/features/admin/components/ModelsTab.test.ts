import { describe, expect, it } from "vitest";
import type { WorkerInfo } from "@/api/types";
import { nodesLine } from "./ModelsTab";

function worker(node: string, name: string): WorkerInfo {
  return { name, node, group: "torch", pid: 1, alive: true, ready: true, job_id: null, jobs_done: 0, restarts: 0, models: {}, host: node, version: "1.0", protocol: 0 };
}

describe("nodesLine", () => {
  it("counts the processes of each node", () => {
    const line = nodesLine([worker("vm-b", "b1"), worker("gpu-1", "g1"), worker("gpu-1", "g2")]);
    expect(line).toBe("2 nodes: gpu-1 (2 processes), vm-b (1 process)");
  });

  it("says when no worker runs", () => {
    expect(nodesLine([])).toBe("No worker process is running.");
  });
});
