import { beforeEach, describe, expect, it, vi } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ApiError } from "@/api/errors";
import { renderWithProviders } from "@/testing/render";
import { makeManaged, makeVersion } from "../fixtures";
import type { VersionUpload } from "../upload";
import { VersionForm } from "./VersionForm";

const upload = vi.hoisted(() => vi.fn());
vi.mock("../upload", () => ({ uploadVersion: upload }));

const model = makeManaged();
const file = (name: string, size = 8) => new File([new Uint8Array(size)], name);

function setup() {
  const onAdded = vi.fn();
  const user = userEvent.setup();
  renderWithProviders(<VersionForm model={model} onAdded={onAdded} onCancel={() => {}} />);
  return { user, onAdded };
}

describe("VersionForm", () => {
  beforeEach(() => {
    upload.mockReset();
  });

  it("refuses to send without weights, and says so at the field", async () => {
    const { user } = setup();
    await user.click(screen.getByRole("button", { name: "Upload and check" }));
    expect(await screen.findByText("Please correct the field marked below.")).toBeInTheDocument();
    expect(screen.getByText(/Choose the weights file/)).toHaveAttribute("id", expect.stringContaining("weights-error"));
    expect(upload).not.toHaveBeenCalled();
  });

  it("uploads the weights and the example with labels, preprocessing and multi-label as options, showing the progress", async () => {
    let finish: (value: unknown) => void = () => {};
    upload.mockImplementation(({ onProgress }: VersionUpload) => {
      onProgress?.({ loaded: 512, total: 1024 });
      return new Promise((resolve) => (finish = resolve));
    });
    const { user, onAdded } = setup();
    await user.upload(screen.getByLabelText(/choose files/i), [file("net.xml"), file("net.bin")]);
    await user.upload(screen.getByLabelText(/choose a file/i), file("cat.jpg"));
    await user.selectOptions(screen.getByLabelText("Runtime"), "openvino");
    await user.type(screen.getByLabelText("Labels (optional)"), "cat{Enter}dog{Enter}");
    await user.click(screen.getByLabelText("Several labels per image"));
    await user.type(screen.getByLabelText("Width"), "224");
    await user.type(screen.getByLabelText("Height"), "224");
    await user.selectOptions(screen.getByLabelText("Resizing"), "letterbox");
    await user.type(screen.getByLabelText("Mean"), "0.5, 0.5, 0.5");
    await user.type(screen.getByLabelText("Standard deviation"), "0.25");
    await user.selectOptions(screen.getByLabelText("Colour order"), "bgr");
    await user.type(screen.getByLabelText("Note (optional)"), "first try");
    await user.click(screen.getByRole("button", { name: "Upload and check" }));

    expect(await screen.findByText("Uploading 512 B of 1.0 KB (50%)")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Uploading…" })).toBeDisabled();
    const { model: name, form } = upload.mock.calls[0][0] as VersionUpload;
    expect(name).toBe("pets");
    expect(form.getAll("weights").map((f) => (f as File).name)).toEqual(["net.xml", "net.bin"]);
    expect((form.get("example") as File).name).toBe("cat.jpg");
    expect(form.get("runtime")).toBe("openvino");
    expect(JSON.parse(form.get("options") as string)).toEqual({
      labels: ["cat", "dog"],
      multi_label: true,
      preprocess: { size: [224, 224], resize: "letterbox", mean: [0.5, 0.5, 0.5], std: [0.25], channels: "bgr" },
    });
    expect(form.get("note")).toBe("first try");
    expect(form.has("params")).toBe(false);
    expect(form.has("card")).toBe(false);

    const added = makeVersion({ id: "v9", number: 9, state: "validating", validation: null });
    finish(added);
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith(added));
  });

  it("shows a refusal of the server at the field it is about", async () => {
    upload.mockRejectedValue(new ApiError(422, "the field 'runtime': 'torch' is not one of auto, onnxruntime, openvino", "invalid"));
    const { user } = setup();
    await user.type(screen.getByLabelText("Or files already in the models folder"), "resnet.onnx");
    await user.selectOptions(screen.getByLabelText("Runtime"), "torch");
    await user.click(screen.getByRole("button", { name: "Upload and check" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Please check your input");
    const runtime = screen.getByLabelText("Runtime");
    expect(runtime).toHaveAttribute("aria-invalid", "true");
    expect(runtime).toHaveAccessibleDescription(expect.stringContaining("'torch' is not one of auto"));
    expect((upload.mock.calls[0][0] as VersionUpload).form.get("existing")).toBe("resnet.onnx");
  });
});
