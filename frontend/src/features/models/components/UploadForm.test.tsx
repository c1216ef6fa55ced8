import { describe, expect, it, vi, beforeEach } from "vitest";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ModelCard } from "@/api/types";
import { ApiError } from "@/api/errors";
import { renderWithProviders } from "@/testing/render";
import { makeJob } from "@/testing/fixtures";
import { UploadForm } from "./UploadForm";

const upload = vi.hoisted(() => vi.fn());
vi.mock("@/api/upload", async (original) => ({ ...(await original<typeof import("@/api/upload")>()), uploadPrediction: upload }));

const MB = 1024 * 1024;
const toy: ModelCard = {
  name: "toy",
  title: "Toy inverter",
  description: "",
  task: "image-to-image",
  kinds: ["image"],
  accepts: ["image/jpeg", "image/png"],
  extensions: [".jpg", ".jpeg", ".jpe", ".jfif", ".png"],
  takes: "images (JPEG, PNG, WebP, BMP, TIFF)",
  max_upload_bytes: 2 * MB,
  max_files: 1,
  params: {
    steps: { type: "int", default: 4, min: 1, max: 100, label: "", description: "" },
    behaviour: { type: "str", default: "ok", choices: ["ok", "fail"], label: "", description: "" },
  },
  outputs: [],
  result_kinds: { image: "generic" },
  state: "loaded",
};

const file = (name: string, size: number, type: string) => new File([new Uint8Array(size)], name, { type });

describe("UploadForm", () => {
  beforeEach(() => {
    upload.mockReset();
  });

  it("refuses a file of the wrong type before uploading, and says what the model takes", async () => {
    const user = userEvent.setup({ applyAccept: false });
    renderWithProviders(<UploadForm model={toy} />);
    await user.upload(screen.getByLabelText(/choose a file/i), file("report.pdf", 100, "application/pdf"));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent('"report.pdf" is not a file this model reads');
    expect(alert).toHaveTextContent("images (JPEG, PNG, WebP, BMP, TIFF)");
    await user.click(screen.getByRole("button", { name: /run the model/i }));
    expect(upload).not.toHaveBeenCalled();
  });

  it("refuses a file over the size limit", async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadForm model={toy} />);
    await user.upload(screen.getByLabelText(/choose a file/i), file("huge.png", 2 * MB + 1, "image/png"));
    expect(await screen.findByRole("alert")).toHaveTextContent("choose a smaller file (limit 2 MB)");
  });

  it("refuses a parameter out of bounds", async () => {
    const user = userEvent.setup();
    renderWithProviders(<UploadForm model={toy} />);
    await user.upload(screen.getByLabelText(/choose a file/i), file("a.png", 10, "image/png"));
    const steps = screen.getByLabelText("Steps");
    await user.clear(steps);
    await user.type(steps, "500");
    await user.click(screen.getByRole("button", { name: /run the model/i }));
    expect(await screen.findByText("Enter at most 100.")).toBeInTheDocument();
    expect(steps).toHaveAttribute("aria-invalid", "true");
    expect(upload).not.toHaveBeenCalled();
  });

  it("uploads a good file with the parameters and opens the job", async () => {
    upload.mockResolvedValue(makeJob({ id: "f".repeat(32) }));
    const user = userEvent.setup();
    const { router } = renderWithProviders(<UploadForm model={toy} />, { path: "/models/:name", route: "/models/toy" });
    await user.upload(screen.getByLabelText(/choose a file/i), file("a.png", 10, "image/png"));
    await user.selectOptions(screen.getByLabelText("Behaviour"), "fail");
    await user.click(screen.getByRole("button", { name: /run the model/i }));
    await waitFor(() => expect(router.state.location.pathname).toBe(`/predictions/${"f".repeat(32)}`));
    const request = upload.mock.calls[0][0];
    expect(request.model).toBe("toy");
    expect(request.files.map((f: File) => f.name)).toEqual(["a.png"]);
    expect(request.params).toEqual({ steps: "4", behaviour: "fail" });
  });

  it("shows the server's refusal with what to do", async () => {
    upload.mockImplementation(() => Promise.reject(new ApiError(415, "'a.png': a PDF document is not an image", "unsupported_media")));
    const user = userEvent.setup();
    renderWithProviders(<UploadForm model={toy} />);
    await user.upload(screen.getByLabelText(/choose a file/i), file("a.png", 10, "image/png"));
    await user.click(screen.getByRole("button", { name: /run the model/i }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("This model cannot read that file");
    expect(alert).toHaveTextContent("Choose a file this model accepts: images");
  });
});
