import { afterEach, describe, expect, it, vi } from "vitest";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { renderWithProviders, stubFetch } from "@/testing/render";
import { POLL_MS } from "../describe";
import { makeManaged, makeVersion } from "../fixtures";
import type { ManagedModel } from "../types";
import { CatalogPage } from "./CatalogPage";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const REASON = "The weights could not be loaded: protobuf parsing failed.";

function pets(): ManagedModel {
  return makeManaged({
    live_version: "v1",
    versions: [
      makeVersion({ id: "v1", number: 1, state: "live", note: "first weights" }),
      makeVersion({ id: "v2", number: 2, state: "ready" }),
      makeVersion({ id: "v3", number: 3, state: "failed", reason: REASON, validation: null }),
      makeVersion({ id: "v4", number: 4, state: "validating", validation: null, validated_at: null }),
    ],
  });
}

const toy = makeManaged({
  id: "toy",
  title: "Toy inverter",
  task: "image-to-image",
  family: "tests.support.toy_models:ToyInvert",
  group: "toy",
  enabled: false,
  from_file: true,
  versions: [makeVersion({ id: "t1", state: "retired", created_by: null, has_example: false, validation: null })],
});

async function openModel(user: ReturnType<typeof userEvent.setup>, title: string) {
  await user.click(await screen.findByRole("button", { name: title }));
  return screen.getByRole("list", { name: `Versions of ${title}` });
}

describe("CatalogPage", () => {
  it("lists the models with their badges, and each version's state, reason and what its check found", async () => {
    const { fetchStub } = stubFetch({ "GET /api/admin/catalog": () => ({ body: [pets(), toy] }) });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);

    const badges = await screen.findByRole("list", { name: "State of Pet classifier" });
    expect(within(badges).getByText("Live: version 1")).toBeInTheDocument();
    expect(within(badges).getByText("1 version being checked")).toBeInTheDocument();
    expect(within(badges).getByText("1 failed version")).toBeInTheDocument();
    const toyBadges = screen.getByRole("list", { name: "State of Toy inverter" });
    expect(within(toyBadges).getByText("From models.toml")).toBeInTheDocument();
    expect(within(toyBadges).getByText("Disabled")).toBeInTheDocument();
    expect(within(toyBadges).getByText("No live version")).toBeInTheDocument();
    expect(screen.getByText("tests.support.toy_models:ToyInvert")).toBeInTheDocument();
    expect(screen.getByText("Versions are being checked; this list updates by itself.")).toBeInTheDocument();

    const versions = await openModel(user, "Pet classifier");
    const items = within(versions).getAllByRole("listitem").filter((li) => li.classList.contains("catalog-version"));
    expect(items.map((li) => within(li).getByRole("heading").textContent)).toEqual(["Version 4", "Version 3", "Version 2", "Version 1"]);
    const [checking, failed, ready, live] = items;
    expect(within(checking).getByText("Being checked")).toHaveClass("catalog-badge-validating");
    expect(within(checking).getByText("Not tried yet.")).toBeInTheDocument();
    expect(within(failed).getByText("Failed")).toHaveClass("catalog-badge-failed");
    expect(within(failed).getByText(REASON)).toBeInTheDocument();
    expect(within(failed).queryByRole("button", { name: /make live/i })).not.toBeInTheDocument();
    expect(within(ready).getByText("onnxruntime, the fastest of 2 that work.")).toBeInTheDocument();
    expect(within(ready).getByText("litert: does not work (not a TFLite file)")).toBeInTheDocument();
    expect(within(ready).getByText("Top label in cat.jpg: tabby cat (82%). It took 42 ms.")).toBeInTheDocument();
    expect(within(ready).getByText("0123456789ab")).toBeInTheDocument();
    expect(within(ready).getByText(/2\.4 MB/)).toBeInTheDocument();
    expect(within(ready).getByText("845 ms")).toBeInTheDocument();
    expect(within(ready).getByRole("button", { name: "Make live version 2 of Pet classifier" })).toBeInTheDocument();
    expect(within(live).getByText("Live")).toHaveClass("catalog-badge-live");
    expect(within(live).getByText("first weights")).toBeInTheDocument();
    expect(within(live).queryByRole("button", { name: /delete/i })).not.toBeInTheDocument();
    expect(within(live).getByText(/cannot be retired or deleted/)).toBeInTheDocument();

    // a model of models.toml cannot be deleted here
    await openModel(user, "Toy inverter");
    expect(screen.queryByRole("button", { name: "Delete the model Toy inverter" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Delete the model Pet classifier" })).toBeInTheDocument();
  });

  it("adds a model: checks the fields first, then posts them as JSON and opens the new model", async () => {
    const created = makeManaged({ id: "birds", title: "Birds", versions: [] });
    let list = [toy];
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: list }),
      "POST /api/admin/catalog": () => {
        list = [toy, created];
        return { status: 201, body: created };
      },
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    await user.click(await screen.findByRole("button", { name: "Add a model" }));
    await user.click(screen.getByRole("button", { name: "Add the model" }));
    expect(await screen.findByText("Please correct the 4 fields marked below.")).toBeInTheDocument();
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.type(screen.getByLabelText("Name"), "birds");
    await user.type(screen.getByLabelText("Title"), "Birds");
    const family = screen.getByLabelText("Family");
    expect(within(family).getAllByRole("option").map((o) => o.textContent)).toEqual([
      "Choose a family",
      "image-classification",
      "image-segmentation",
      "tests.support.toy_models:ToyInvert",
      "yolo",
    ]);
    await user.selectOptions(family, "image-classification");
    expect(screen.getByLabelText("Task")).toHaveValue("image-classification");
    await user.selectOptions(screen.getByLabelText("Worker group"), "toy");
    await user.clear(screen.getByLabelText("Largest upload (MB)"));
    await user.type(screen.getByLabelText("Largest upload (MB)"), "20");
    await user.type(screen.getByLabelText("Keep results (days)"), "7");
    await user.click(screen.getByRole("button", { name: "Add the model" }));

    expect(await screen.findByText("Birds was added. Open it below and add its first version.")).toBeInTheDocument();
    const sent = calls.find((c) => c.method === "POST")!;
    expect(new URL(sent.url).pathname).toBe("/api/admin/catalog");
    expect(await sent.json()).toEqual({
      id: "birds",
      title: "Birds",
      description: "",
      task: "image-classification",
      family: "image-classification",
      group: "toy",
      max_upload_mb: 20,
      max_files: 1,
      retention_days: 7,
    });
    expect(await screen.findByRole("button", { name: "Birds", expanded: true })).toBeInTheDocument();
    expect(screen.getByText("No version yet: add one with its weights.")).toBeInTheDocument();
  });

  it("reads the list again while a version is being checked, and stops once none is", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let reads = 0;
    const { fetchStub } = stubFetch({
      "GET /api/admin/catalog": () => {
        reads += 1;
        const state = reads < 3 ? "validating" : "ready";
        return { body: [makeManaged({ versions: [makeVersion({ state, validation: state === "ready" ? makeVersion().validation : null })] })] };
      },
    });
    vi.stubGlobal("fetch", fetchStub);
    renderWithProviders(<CatalogPage />);
    expect(await screen.findByText("1 version being checked")).toBeInTheDocument();
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS));
    await waitFor(() => expect(screen.queryByText("1 version being checked")).not.toBeInTheDocument());
    expect(reads).toBe(3);
    await act(() => vi.advanceTimersByTimeAsync(POLL_MS * 10));
    expect(reads).toBe(3);
    expect(screen.queryByText(/this list updates by itself/)).not.toBeInTheDocument();
  });

  it("makes a version live, after asking", async () => {
    let list = [pets()];
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: list }),
      "POST /api/admin/catalog/pets/versions/v2/live": () => {
        list = [makeManaged({ live_version: "v2", versions: [makeVersion({ id: "v1", state: "ready" }), makeVersion({ id: "v2", number: 2, state: "live" })] })];
        return { body: makeVersion({ id: "v2", number: 2, state: "live" }) };
      },
    });
    vi.stubGlobal("fetch", fetchStub);
    const confirm = vi.spyOn(window, "confirm").mockReturnValueOnce(false).mockReturnValueOnce(true);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    await openModel(user, "Pet classifier");
    const button = screen.getByRole("button", { name: "Make live version 2 of Pet classifier" });
    await user.click(button);
    expect(calls.some((c) => c.method === "POST")).toBe(false); // declined
    await user.click(button);
    expect(confirm).toHaveBeenLastCalledWith("Make version 2 of Pet classifier live? New predictions will use it.");
    expect(await screen.findByText("Version 2 is live: new predictions use it.")).toBeInTheDocument();
    expect(calls.filter((c) => c.method === "POST").map((c) => new URL(c.url).pathname)).toEqual(["/api/admin/catalog/pets/versions/v2/live"]);
    expect(await screen.findByText("Live: version 2")).toBeInTheDocument();
  });

  it("deletes a version after asking, and shows the server's sentence when it refuses", async () => {
    const refusal = "jobs of 'pets' are running: cancel them or wait for them to end first";
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: [pets()] }),
      "DELETE /api/admin/catalog/pets/versions/v2": () => ({ status: 409, body: { detail: refusal, code: "conflict" } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    vi.spyOn(window, "confirm").mockReturnValue(true);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    const versions = await openModel(user, "Pet classifier");
    await user.click(within(versions).getByRole("button", { name: "Delete version 2 of Pet classifier" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Not possible right now");
    expect(alert).toHaveTextContent("Jobs of 'pets' are running: cancel them or wait for them to end first.");
    // shown with the version it is about
    expect(alert.closest("li")).toHaveTextContent("Version 2");
    expect(calls.filter((c) => c.method === "DELETE").map((c) => new URL(c.url).pathname)).toEqual(["/api/admin/catalog/pets/versions/v2"]);
  });

  it("retires a version and edits a model, sending only what changed", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: [pets()] }),
      "POST /api/admin/catalog/pets/versions/v2/retire": () => ({ body: makeVersion({ id: "v2", number: 2, state: "retired" }) }),
      "PATCH /api/admin/catalog/pets": () => ({ body: pets() }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    await openModel(user, "Pet classifier");
    await user.click(screen.getByRole("button", { name: "Retire version 2 of Pet classifier" }));
    expect(await screen.findByText("Version 2 is retired.")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Edit the model Pet classifier" }));
    await user.click(screen.getByLabelText("Shown in the gallery and takes predictions"));
    await user.type(screen.getByLabelText("Time limit (seconds)"), "90");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("The model was saved.")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(await patch.json()).toEqual({ enabled: false, timeout_s: 90 });
  });

  it("edits a version's labels, defaults and card, sending only what changed", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: [pets()] }),
      "PATCH /api/admin/catalog/pets/versions/v2": () => ({ body: makeVersion({ id: "v2", number: 2 }) }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    await openModel(user, "Pet classifier");
    await user.click(screen.getByRole("button", { name: "Edit version 2 of Pet classifier" }));
    const form = screen.getByRole("form", { name: "Edit version 2" });
    await user.type(within(form).getByLabelText("Labels (optional)"), "cat{Enter}dog");
    await user.type(within(form).getByLabelText("Setting defaults"), "top_k = 3");
    await user.type(within(form).getByLabelText("Licence"), "MIT");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Version 2 was saved.")).toBeInTheDocument();
    const patch = calls.find((c) => c.method === "PATCH")!;
    expect(new URL(patch.url).pathname).toBe("/api/admin/catalog/pets/versions/v2");
    expect(await patch.json()).toEqual({ options: { labels: ["cat", "dog"] }, params: { top_k: { default: 3 } }, card: { license: "MIT" } });
  });

  it("deletes a model after asking, and shows why when the server refuses", async () => {
    const { fetchStub, calls } = stubFetch({
      "GET /api/admin/catalog": () => ({ body: [pets()] }),
      "DELETE /api/admin/catalog/pets": () => ({ status: 409, body: { detail: "jobs of 'pets' are queued: cancel them or wait for them to end first", code: "conflict" } }),
    });
    vi.stubGlobal("fetch", fetchStub);
    const confirm = vi.spyOn(window, "confirm").mockReturnValue(true);
    const user = userEvent.setup();
    renderWithProviders(<CatalogPage />);
    await openModel(user, "Pet classifier");
    await user.click(screen.getByRole("button", { name: "Delete the model Pet classifier" }));
    expect(confirm).toHaveBeenCalledWith("Delete Pet classifier (pets) and all its versions? This cannot be undone.");
    expect(await screen.findByRole("alert")).toHaveTextContent("Jobs of 'pets' are queued: cancel them or wait for them to end first.");
    expect(calls.filter((c) => c.method === "DELETE").map((c) => new URL(c.url).pathname)).toEqual(["/api/admin/catalog/pets"]);
  });
});
