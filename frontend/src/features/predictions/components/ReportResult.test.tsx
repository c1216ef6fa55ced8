import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { makeJob, makeModel } from "@/testing/fixtures";
import type { Job } from "@/api/types";
import { ReportResult } from "./ReportResult";

afterEach(() => vi.unstubAllGlobals());

const URL = `/api/predictions/${"a".repeat(32)}/feedback`;

const detections = makeJob({
  status: "succeeded",
  result_kind: "detections",
  result: {
    width: 810,
    height: 1080,
    model_classes: ["person", "bus", "stop sign"],
    items: [
      { class_id: 1, label: "bus", confidence: 0.9, box: [17, 230, 801, 768] },
      { class_id: 2, label: "stop sign", confidence: 0.4, box: [0, 550, 63, 873] },
    ],
  },
});

function answering(status = 201, body: unknown = { id: "f1", state: "open" }) {
  const { fetchStub, calls } = stubFetch({ [`POST ${URL}`]: () => ({ status, body }) });
  vi.stubGlobal("fetch", fetchStub);
  return calls;
}

async function sent(calls: Request[]): Promise<unknown> {
  expect(calls).toHaveLength(1);
  return calls[0].clone().json();
}

describe("reporting a wrong result", () => {
  it("opens a form from one button and closes it again", async () => {
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={detections} />);
    const open = screen.getByRole("button", { name: "Report a wrong result" });
    expect(open).toHaveAttribute("aria-expanded", "false");
    await user.click(open);
    expect(open).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByLabelText("What is wrong (optional)")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByLabelText("What is wrong (optional)")).not.toBeInTheDocument();
  });

  it("marks a box as wrong from the list, with its right class, and confirms", async () => {
    const calls = answering();
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={detections} />);
    await user.click(screen.getByRole("button", { name: "Report a wrong result" }));
    const sign = screen.getByRole("button", { name: /Box 2: stop sign/ });
    await user.click(sign);
    expect(sign).toHaveAttribute("aria-pressed", "true");
    const right = screen.getByLabelText("Right class");
    expect(within(right).getAllByRole("option").map((o) => o.textContent)).toEqual(["Nothing is there", "person", "bus", "stop sign"]);
    await user.selectOptions(right, "person");
    await user.type(screen.getByLabelText("What is wrong (optional)"), "  a child, not a sign ");
    await user.click(screen.getByRole("button", { name: "Send the report" }));
    expect(await screen.findByRole("status")).toHaveTextContent("your report was sent to the administrators");
    expect(await sent(calls)).toEqual({
      note: "a child, not a sign",
      wrong: [1],
      boxes: [{ label: "person", box: [0, 550, 63, 873] }],
    });
  });

  it("sends a box marked wrong with nothing there, without a box", async () => {
    const calls = answering();
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={detections} />);
    await user.click(screen.getByRole("button", { name: "Report a wrong result" }));
    await user.click(screen.getByRole("button", { name: /Box 1: bus/ }));
    await user.click(screen.getByRole("button", { name: "Send the report" }));
    await screen.findByRole("status");
    expect(await sent(calls)).toEqual({ note: "", wrong: [0] });
  });

  it("offers a face's genders", async () => {
    const faces = makeJob({
      status: "succeeded",
      result_kind: "faces",
      result: { items: [{ box: [1, 2, 30, 40], confidence: 0.9, gender: "woman", probability: 0.8 }] },
    });
    const calls = answering();
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={faces} />);
    await user.click(screen.getByRole("button", { name: "Report a wrong result" }));
    await user.click(screen.getByRole("button", { name: /Face 1: woman/ }));
    await user.selectOptions(screen.getByLabelText("Right gender"), "man");
    await user.click(screen.getByRole("button", { name: "Send the report" }));
    await screen.findByRole("status");
    expect(await sent(calls)).toEqual({ note: "", wrong: [0], boxes: [{ label: "man", box: [1, 2, 30, 40] }] });
  });

  it("picks a classification's right class from the model's classes, for one file of a batch", async () => {
    const batch: Job = makeJob({
      status: "succeeded",
      result_kind: "batch",
      model: "object-detection",
      result: {
        per_file: [
          { file: "cat.jpg", category: "cat", items: [] },
          { file: "dog.jpg", category: "cat", items: [] },
        ],
      },
    });
    const model = makeModel({ result_kinds: { image: "classification", zip: "batch" }, classes: ["cat", "dog"] });
    const calls = answering();
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={batch} model={model} />);
    await user.click(screen.getByRole("button", { name: "Report a wrong result" }));
    expect(screen.queryByLabelText("The right class (optional)")).not.toBeInTheDocument(); // all files
    await user.selectOptions(screen.getByLabelText("Which file"), "2. dog.jpg");
    await user.selectOptions(screen.getByLabelText("The right class (optional)"), "dog");
    await user.click(screen.getByRole("button", { name: "Send the report" }));
    await screen.findByRole("status");
    expect(await sent(calls)).toEqual({ note: "", file: 1, label: "dog" });
  });

  it("shows the server's refusal and keeps the form", async () => {
    answering(409, { detail: "This prediction has been reported 20 times already.", code: "conflict" });
    const user = userEvent.setup();
    renderWithProviders(<ReportResult job={makeJob({ status: "succeeded", result_kind: "volume-mask", result: {} })} />);
    await user.click(screen.getByRole("button", { name: "Report a wrong result" }));
    await user.type(screen.getByLabelText("What is wrong"), "the ear is missing");
    await user.click(screen.getByRole("button", { name: "Send the report" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("reported 20 times already");
    expect(screen.getByLabelText("What is wrong")).toHaveValue("the ear is missing");
  });
});
