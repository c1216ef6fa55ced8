import { describe, expect, it } from "vitest";
import { describeLocation } from "./location";

const dims = [181, 217, 181];

describe("describeLocation", () => {
  it("names the position, the voxel, the intensity and whether it is in the mask", () => {
    const location = { mm: [-86, 27.04, 19, 0], values: [{ value: 312.456, vox: [5, 120, 80] }, { value: 255, vox: [5, 120, 80] }] };
    expect(describeLocation(location, dims)).toBe("x -86, y 27, z 19 mm (voxel 5, 120, 80) · intensity 312.46 · inside the skin mask");
    const outside = { ...location, values: [location.values[0], { value: 0, vox: [5, 120, 80] }] };
    expect(describeLocation(outside, dims)).toMatch(/· outside the skin mask$/);
  });

  it("says nothing outside the volume, where NiiVue reads 0 0", () => {
    const beyond = { mm: [-86, 27, 19, 0], values: [{ value: 0, vox: [-3, 120, 80] }, { value: 0, vox: [-3, 120, 80] }] };
    expect(describeLocation(beyond, dims)).toBeNull();
    expect(describeLocation({ mm: [0, 0, 0], values: [{ value: 0, vox: [10, 217, 4] }] }, dims)).toBeNull();
  });
});
