import { describe, expect, it, vi, afterEach } from "vitest";
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Artifact } from "@/api/types";
import { makeJob } from "@/testing/fixtures";
import { renderWithProviders } from "@/testing/render";
import { JobRow, jobLinks } from "./JobRow";

afterEach(() => vi.unstubAllGlobals());

const input = { name: "bus.jpg", size: 10, sha256: "0".repeat(64), media_type: "image/jpeg", url: "/api/predictions/x/inputs/0.jpg" };
const art = (name: string, role: string): Artifact => ({ name, role, media_type: "application/octet-stream", size: 1, deferred: false, url: `/api/predictions/x/files/${name}` });

function table(row: React.ReactElement) {
  return renderWithProviders(
    <table>
      <tbody>{row}</tbody>
    </table>,
  );
}

describe("JobRow", () => {
  it("offers the main output the API names as the download, whatever the roles", () => {
    const job = makeJob({
      status: "succeeded",
      inputs: [input, { ...input, name: "cat.jpg" }],
      artifacts: [art("data.json", "data"), art("annotated.jpg", "annotated"), art("results.zip", "archive")],
      main_output: "annotated.jpg",
    });
    table(<JobRow job={job} columns={["file", "model", "status"]} actions={jobLinks(job)} />);
    // (jsdom's accessible names drop the space before the hidden subject: "Downloadbus.jpg")
    const download = screen.getByRole("link", { name: /^Download ?bus\.jpg and 1 more$/ });
    expect(download).toHaveAttribute("href", "/api/predictions/x/files/annotated.jpg?download=true");
    expect(screen.getByRole("link", { name: /^Open ?bus\.jpg and 1 more$/ })).toHaveAttribute("href", `/predictions/${job.id}`);
    expect(screen.getAllByRole("cell").map((cell) => cell.dataset.label)).toEqual(["File", "Model", "Status", undefined]);
  });

  it("shows a model that found nothing to work on as such, not as a success", () => {
    const finding = "No skin layer found: the volume looks skull-stripped (a brain without scalp).";
    const job = makeJob({ status: "succeeded", outcome: "nothing_found", inputs: [input], result: { skin_found: false, finding } });
    table(<JobRow job={job} columns={["file", "status"]} actions={[]} />);
    const status = screen.getByText("Nothing to segment");
    expect(status).toHaveClass("badge-nothing-found");
    expect(screen.queryByText("Succeeded")).not.toBeInTheDocument();
    expect(status.parentElement).toHaveTextContent(finding);
  });

  it("names a long file so that it wraps after its separators, not mid-word", () => {
    const job = makeJob({ status: "succeeded", inputs: [{ ...input, name: "patient_0042-t1_mprage.nii.gz" }] });
    const { container } = table(<JobRow job={job} columns={["file", "user"]} actions={[]} />);
    expect(container.querySelectorAll("td")[0].querySelectorAll("wbr")).toHaveLength(5);
    expect(container.querySelector("td.break")).toHaveTextContent("anonymous");
  });

  it("offers no download once the files have expired, and says so", () => {
    const job = makeJob({ status: "succeeded", inputs: [input], artifacts: [art("annotated.jpg", "annotated")], main_output: "annotated.jpg", files_expired_at: "2025-02-01T00:00:00Z" });
    table(<JobRow job={job} columns={["user", "status"]} actions={jobLinks(job, "Preview")} />);
    expect(screen.queryByRole("link", { name: /download/i })).toBeNull();
    expect(screen.getByRole("link", { name: /^Preview ?bus\.jpg$/ })).toBeInTheDocument();
    expect(screen.getByText("files expired")).toBeInTheDocument();
    expect(screen.getByText("anonymous")).toBeInTheDocument();
  });

  it("asks before a dangerous action, and does nothing when declined", async () => {
    const job = makeJob({ inputs: [input] });
    const onClick = vi.fn();
    const confirm = vi.fn(() => false);
    vi.stubGlobal("confirm", confirm);
    table(<JobRow job={job} columns={["file"]} actions={[{ kind: "button", label: "Delete", danger: true, confirm: "Really?", onClick }]} />);
    const row = screen.getByRole("row");
    await userEvent.click(within(row).getByRole("button", { name: /^Delete ?bus\.jpg$/ }));
    expect(confirm).toHaveBeenCalledWith("Really?");
    expect(onClick).not.toHaveBeenCalled();
    confirm.mockReturnValue(true);
    await userEvent.click(within(row).getByRole("button", { name: /^Delete ?bus\.jpg$/ }));
    expect(onClick).toHaveBeenCalledTimes(1);
  });
});
