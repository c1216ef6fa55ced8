import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { makeModel } from "@/testing/fixtures";
import { describeCorrection, describeTarget, formatsFor } from "../feedback";
import { FeedbackTab } from "./FeedbackTab";

afterEach(() => vi.unstubAllGlobals());

const JOB = "b".repeat(32);
const flag = {
  id: "f1",
  job_id: JOB,
  model: "object-detection",
  model_version: 2,
  result_kind: "detections",
  item_kind: "detections",
  file: null,
  note: "the sign is a child",
  correction: { label: null, wrong: [3], boxes: [{ label: "person", box: [0, 550, 63, 873] }] },
  state: "open",
  created_at: "2026-01-02T10:00:00Z",
  anonymous: false,
  user_email: "ada@example.org",
  job: { url: `/api/predictions/${JOB}`, status: "succeeded", input_name: "bus.jpg", thumbnail: `/api/predictions/${JOB}/inputs/input-0.jpg`, files_expired: false },
};
const models = {
  models: [makeModel(), makeModel({ name: "skin", title: "Skin segmentation", result_kinds: { nifti: "volume-mask" } })],
  workers: [],
  queues: {},
};

function serve(onPatch?: (body: unknown) => void) {
  const asked: URL[] = [];
  const { fetchStub } = stubFetch({
    "GET /api/admin/models": () => ({ body: models }),
    "GET /api/admin/feedback": (request) => {
      asked.push(new URL(request.url));
      return { body: { data: [flag], count: 1 } };
    },
    "PATCH /api/admin/feedback/f1": (request) => {
      void request.json().then((body) => onPatch?.(body));
      return { body: { ...flag, state: "resolved" } };
    },
  });
  vi.stubGlobal("fetch", fetchStub);
  return asked;
}

describe("the Feedback tab", () => {
  it("lists reports with a thumbnail linking to the prediction, the correction and the note", async () => {
    serve();
    renderWithProviders(<FeedbackTab />);
    const row = (await screen.findByText("the sign is a child")).closest("tr") as HTMLElement;
    const link = within(row).getByRole("link", { name: "bus.jpg" });
    expect(link).toHaveAttribute("href", `/predictions/${JOB}`);
    expect(link.querySelector("img")).toHaveAttribute("src", flag.job.thumbnail);
    expect(row).toHaveTextContent("1 box marked wrong; 1 given: person");
    expect(row).toHaveTextContent("Object detection · version 2");
    expect(row).toHaveTextContent("ada@example.org");
  });

  it("filters by model and offers the export formats that fit its results", async () => {
    const asked = serve();
    const user = userEvent.setup();
    renderWithProviders(<FeedbackTab />);
    expect(screen.getByText("Choose a model to export its reports as a dataset.")).toBeInTheDocument();
    await screen.findByRole("option", { name: "Object detection" });
    await user.selectOptions(screen.getByLabelText("Model"), "Object detection");
    const exports = within(screen.getByRole("group", { name: /Download the open results of Object detection/ }));
    const links = exports.getAllByRole("link");
    expect(links.map((l) => l.textContent)).toEqual(["YOLO (detections)", "COCO (detections, faces)"]);
    expect(links[0]).toHaveAttribute("href", "/api/admin/feedback/export?model=object-detection&format=yolo&state=open");
    expect(asked.at(-1)?.searchParams.get("model")).toBe("object-detection");
    expect(asked.at(-1)?.searchParams.get("state")).toBe("open");

    await user.selectOptions(screen.getByLabelText("State"), "Every state");
    await user.selectOptions(screen.getByLabelText("Model"), "Skin segmentation");
    const volumes = screen.getByRole("link", { name: "NIfTI volumes with masks" });
    expect(volumes).toHaveAttribute("href", "/api/admin/feedback/export?model=skin&format=volumes&state=all");
    expect(asked.at(-1)?.searchParams.has("state")).toBe(false);
  });

  it("resolves a report from its row", async () => {
    const patched: unknown[] = [];
    serve((body) => patched.push(body));
    const user = userEvent.setup();
    renderWithProviders(<FeedbackTab />);
    await user.click(await screen.findByRole("button", { name: "Resolve: the report on bus.jpg" }));
    await vi.waitFor(() => expect(patched).toEqual([{ state: "resolved" }]));
  });
});

describe("what a report says", () => {
  it("names the correction and the file of a batch", () => {
    expect(describeCorrection({ item_kind: "classification", correction: { label: "dog" } })).toBe("Right class: dog");
    expect(describeCorrection({ item_kind: "faces", correction: { wrong: [0, 1], boxes: [] } })).toBe("2 faces marked wrong");
    expect(describeCorrection({ item_kind: "detections", correction: null })).toBe("No correction given");
    expect(describeTarget({ item_kind: "volume-mask", result_kind: "volume-mask", file: null })).toBe("volume mask");
    expect(describeTarget({ item_kind: "classification", result_kind: "batch", file: 2 })).toBe("classification, file 3 of a batch");
  });

  it("fits formats to the result kinds a model declares", () => {
    expect(formatsFor(makeModel({ result_kinds: { image: "faces", zip: "batch" } }))).toEqual(["coco"]);
    expect(formatsFor(makeModel({ result_kinds: { image: "classification", zip: "batch" } }))).toEqual(["folders"]);
    expect(formatsFor(makeModel({ result_kinds: { image: "generic" } }))).toEqual([]);
    expect(formatsFor(undefined)).toEqual([]);
  });
});
