import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { FileName, nameParts } from "./FileName";

describe("FileName", () => {
  it("splits a name after each separator, keeping every character", () => {
    expect(nameParts("patient_0042-t1_mprage.nii.gz")).toEqual(["patient_", "0042-", "t1_", "mprage.", "nii.", "gz"]);
    expect(nameParts("bus.jpg and 2 more").join("")).toBe("bus.jpg and 2 more");
    expect(nameParts("noseparators")).toEqual(["noseparators"]);
  });

  it("offers a break after each separator of a long name only", () => {
    const { container } = render(<FileName name="scanner-export_2024-06-01.nii.gz" />);
    expect(container).toHaveTextContent("scanner-export_2024-06-01.nii.gz");
    expect(container.querySelectorAll("wbr")).toHaveLength(6);
  });

  it("keeps a short name whole", () => {
    const { container } = render(<FileName name="ch2.nii.gz" />);
    expect(container.querySelectorAll("wbr")).toHaveLength(0);
  });
});
