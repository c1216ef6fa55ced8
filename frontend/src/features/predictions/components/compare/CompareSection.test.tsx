import { afterEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { boxes } from "@/components/agreement/fixtures";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { makeJob, makeModel } from "@/testing/fixtures";
import { CompareSection } from "./CompareSection";

afterEach(() => {
  vi.unstubAllGlobals();
});

const FIRST = "a".repeat(32);
const SECOND = "b".repeat(32);
const input = { name: "bus.jpg", size: 1000, sha256: "", media_type: "image/jpeg", url: `/api/predictions/${FIRST}/inputs/in.jpg` };
const person = { class_id: 0, label: "person", confidence: 0.9, box: [50, 400, 250, 900] };
const first = makeJob({
  id: FIRST,
  status: "succeeded",
  model: "object-detection",
  model_version: 1,
  result_kind: "detections",
  inputs: [input],
  result: { width: 810, height: 1080, count: 2, items: [person, { class_id: 2, label: "car", confidence: 0.8, box: [0, 0, 10, 10] }] },
});
const second = makeJob({
  ...first,
  id: SECOND,
  model_version: 2,
  result: { width: 810, height: 1080, count: 2, items: [person, { class_id: 16, label: "dog", confidence: 0.7, box: [0, 0, 10, 10] }] },
});

describe("CompareSection", () => {
  it("runs the upload on another version, follows it, and shows both results with how they agree", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/models": () => ({ body: [makeModel(), makeModel({ name: "faces", title: "Faces", result_kinds: { image: "faces" } })] }),
      "GET /api/models/object-detection/versions": () => ({
        body: [
          { id: "v2", number: 2, state: "ready", note: "", created_at: "2025-01-01T00:00:00Z" },
          { id: "v1", number: 1, state: "live", note: "", created_at: "2025-01-01T00:00:00Z" },
        ],
      }),
      [`POST /api/predictions/${FIRST}/compare`]: () => ({ status: 202, body: { ...second, status: "queued", result: null } }),
      [`GET /api/predictions/${SECOND}`]: () => ({ body: second }),
      [`GET /api/predictions/${FIRST}/agreement/${SECOND}`]: () => ({
        body: { agreement: { kind: "detections", boxes: boxes(1, 1, 1), per_class: { person: boxes(1, 0, 0) }, disagreement: 0.5 } },
      }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    const { router } = renderWithProviders(<CompareSection job={first} />, { path: "/predictions/:id", route: `/predictions/${FIRST}` });

    const select = await screen.findByLabelText("Run the same file on");
    expect(within(select).getByRole("group", { name: "Other versions of this model" })).toHaveTextContent("Version 2");
    expect(within(select).queryByRole("option", { name: /Version 1/ })).not.toBeInTheDocument();
    expect(within(select).queryByRole("group", { name: "Other models" })).not.toBeInTheDocument(); // faces: another kind
    const run = screen.getByRole("button", { name: "Run and compare" });
    expect(run).toBeDisabled();
    await user.selectOptions(select, "object-detection@v2");
    await user.click(run);

    const heading = await screen.findByRole("heading", { level: 3, name: "Version 1 and Version 2" });
    await waitFor(() => expect(heading).toHaveFocus());
    const posted = calls.find((call) => call.method === "POST");
    expect(await posted?.json()).toEqual({ model: "object-detection", version: "v2" });
    expect(router.state.location.search).toBe(`?compare=${SECOND}`);

    expect(await screen.findByText("0.50", { selector: "dd" })).toBeInTheDocument(); // F1
    const sides = await screen.findAllByRole("heading", { level: 6, name: "Detected objects" });
    expect(sides).toHaveLength(2);
    expect(sides[0].id).not.toBe(sides[1].id); // two results, no id twice on the page
    expect(screen.getByRole("heading", { level: 5, name: "Version 1" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 5, name: "Version 2" })).toBeInTheDocument();
    expect(screen.getAllByRole("img", { name: /bus\.jpg, with 2 objects marked/ })).toHaveLength(2);
  });

  it("says when nothing else gives this kind of result", async () => {
    const { fetchStub } = stubFetch({
      "GET /api/models": () => ({ body: [makeModel()] }),
      "GET /api/models/object-detection/versions": () => ({ body: [{ id: "v1", number: 1, state: "live", note: "", created_at: "" }] }),
    });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<CompareSection job={first} />, { path: "/predictions/:id", route: `/predictions/${FIRST}` });
    expect(await screen.findByText(/No other version of this model, and no other model/)).toBeInTheDocument();
  });
});
