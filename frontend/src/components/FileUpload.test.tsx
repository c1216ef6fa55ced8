import { describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen } from "@testing-library/react";
import { FileUpload } from "./FileUpload";

describe("FileUpload", () => {
  it("opens the picker on Enter, as it does on Space", () => {
    render(<FileUpload files={[]} onChange={() => {}} accept="image/*" multiple={false} hint="Images up to 2 MB." />);
    const input = screen.getByLabelText(/choose a file/i);
    const click = vi.spyOn(input, "click");
    const enter = fireEvent.keyDown(input, { key: "Enter" });
    expect(click).toHaveBeenCalledTimes(1);
    expect(enter).toBe(false); // its default (submitting the form) is prevented
    fireEvent.keyDown(input, { key: "a" });
    expect(click).toHaveBeenCalledTimes(1);
  });

  it("does nothing on Enter while disabled", () => {
    render(<FileUpload files={[]} onChange={() => {}} accept="image/*" multiple={false} hint="" disabled />);
    const input = screen.getByLabelText(/choose a file/i);
    const click = vi.spyOn(input, "click");
    fireEvent.keyDown(input, { key: "Enter" });
    expect(click).not.toHaveBeenCalled();
  });
});
