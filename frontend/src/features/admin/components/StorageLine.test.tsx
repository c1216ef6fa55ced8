import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { StorageLine } from "./StorageLine";

const MB = 1024 * 1024;

describe("StorageLine", () => {
  it("shows the free space of the data folder", () => {
    render(<StorageLine storage={{ free_bytes: 20 * 1024 * MB, total_bytes: 100 * 1024 * MB, reserve_bytes: 500 * MB, low: false }} />);
    expect(screen.getByText("Storage: 20 GB free of 100 GB in the data folder (reserve 500 MB).")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("alerts below the reserve", () => {
    render(<StorageLine storage={{ free_bytes: 3 * MB, total_bytes: 64 * MB, reserve_bytes: 16 * MB, low: true }} />);
    expect(screen.getByRole("alert")).toHaveTextContent(/3\.0 MB free of 64 MB .* below the reserve, so uploads and contact messages are refused/);
  });
});
