import { describe, expect, it } from "vitest";
import type { ModelCard, WorkerInfo } from "@/api/types";
import { makeModel } from "@/testing/fixtures";
import { actionApplies, confirmText, groupSiblings, modelsText, nodesLine } from "./ModelsTab";

function worker(node: string, name: string, models: WorkerInfo["models"] = {}, group = "torch"): WorkerInfo {
  return { name, node, group, pid: 1, alive: true, ready: true, job_id: null, jobs_done: 0, restarts: 0, models, host: node, version: "1.0", protocol: 0 };
}

const model = (name: string, title: string, state: string): ModelCard => makeModel({ name, title, state });
const models = [
  model("object-detection", "Object detection (YOLOv8 nano)", "loaded"),
  model("yolov5-classic", "Object detection (YOLOv5 nano)", "loaded"),
  model("face-gender", "Face and gender detection", "loaded"),
];
const workers = [
  worker("api", "torch-0", { "object-detection": "loaded", "yolov5-classic": "loaded" }),
  worker("api", "torch-1", { "object-detection": "loaded", "yolov5-classic": "loaded" }),
  worker("api", "tf-0", { "face-gender": "loaded" }, "tf"),
];

describe("the model actions", () => {
  it("are offered only where they apply to the model's state", () => {
    expect(["load", "unload", "reload"].filter((a) => actionApplies(a as "load", "loaded"))).toEqual(["unload", "reload"]);
    expect(["load", "unload", "reload"].filter((a) => actionApplies(a as "load", "unloaded"))).toEqual(["load"]);
    expect(["load", "unload", "reload"].filter((a) => actionApplies(a as "load", "unavailable"))).toEqual(["reload"]);
    expect(["load", "unload", "reload"].filter((a) => actionApplies(a as "load", "disabled"))).toEqual([]);
  });

  it("read a model's group from the worker processes", () => {
    expect(groupSiblings("object-detection", workers)).toEqual(["yolov5-classic"]);
    expect(groupSiblings("face-gender", workers)).toEqual([]);
  });

  it("confirm an unload truthfully: the group's other models keep serving", () => {
    const text = confirmText("unload", models[0], models, workers)!;
    expect(text).toBe(
      "Unload Object detection (YOLOv8 nano)? Jobs waiting for it will fail. The other models of its worker group keep serving: Object detection (YOLOv5 nano).",
    );
    expect(confirmText("unload", models[2], models, workers)).toMatch(/No other model of its worker group is serving/);
  });

  it("confirm a reload naming every model of the group that restarts", () => {
    expect(confirmText("reload", models[0], models, workers)).toMatch(
      /^Reload Object detection \(YOLOv8 nano\)\? Its worker group restarts .* so Object detection \(YOLOv8 nano\) and Object detection \(YOLOv5 nano\) load again/,
    );
    expect(confirmText("load", models[0], models, workers)).toBeUndefined();
  });

  it("name a process's models by their titles", () => {
    expect(modelsText({ "object-detection": "loaded", "yolov5-classic": "loading" }, models)).toBe(
      "Object detection (YOLOv8 nano), Object detection (YOLOv5 nano) (loading)",
    );
  });
});

describe("nodesLine", () => {
  it("counts the processes of each node", () => {
    const line = nodesLine([worker("vm-b", "b1"), worker("gpu-1", "g1"), worker("gpu-1", "g2")]);
    expect(line).toBe("2 nodes: gpu-1 (2 processes), vm-b (1 process)");
  });

  it("says when no worker runs", () => {
    expect(nodesLine([])).toBe("No worker process is running.");
  });
});
