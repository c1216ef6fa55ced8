"""NIfTI volumes: proving an upload is a usable volume, and reading it.

nibabel parses the header (data types, byte order, qform/sform); the data itself is read
here in one forward pass over the (possibly gzipped) stream. That keeps three properties
nibabel's lazy loading does not give on its own: the file name does not matter (uploads are
stored as `upload-0.part` while they are checked), nothing past the declared size is ever
decompressed (a small gzip cannot expand into gigabytes), and a truncated or corrupt stream
is noticed before the job is queued. nibabel and numpy are imported inside the functions so
that importing this module (the API does, through `media.check`) stays light."""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .sniff import MediaError

if TYPE_CHECKING:
    import numpy as np

MAX_AXIS = 512  # voxels along one spatial axis
MAX_VOXELS = 64 * 1024 * 1024  # in the volume that is used (the first, for a 4D series)
MAX_TOTAL_VOXELS = 256 * 1024 * 1024  # over all volumes of a 4D series
MAX_VOXEL_SIZE_MM = 100.0  # larger "voxels" are a broken header, not a scan
_CHUNK = 4 * 1024 * 1024
_UNIT_TO_MM = {"meter": 1000.0, "mm": 1.0, "micron": 0.001, "unknown": 1.0}


@dataclass(frozen=True)
class VolumeInfo:
    shape: tuple[int, ...]  # as stored, trailing dimensions of size 1 dropped (3 or 4 axes)
    voxel_size_mm: tuple[float, float, float]
    dtype: str  # the stored data type, e.g. "uint8", "int16", "float32"
    n_volumes: int  # 1 for a 3D volume
    format: str  # "NIfTI-1" or "NIfTI-2"
    compressed: bool

    @property
    def is_4d(self) -> bool:
        return len(self.shape) == 4

    @property
    def spatial_shape(self) -> tuple[int, int, int]:
        return self.shape[0], self.shape[1], self.shape[2]

    @property
    def voxel_volume_ml(self) -> float:
        x, y, z = self.voxel_size_mm
        return x * y * z / 1000.0


@dataclass
class Volume:
    info: VolumeInfo
    data: np.ndarray  # the first volume, scaled, float32, in the file's voxel order
    affine: np.ndarray  # voxel → world (mm), the header's best affine (sform, else qform)
    header: Any  # nibabel Nifti1Header / Nifti2Header, as read


def validate_nifti(path: Path) -> VolumeInfo:
    """Check header and data of a NIfTI file (.nii or .nii.gz, by content, not name).
    Raises MediaError with a message for people when it is not a usable 3D/4D volume."""
    return _read(Path(path), keep=False).info


def read_volume(path: Path) -> Volume:
    """Validate like `validate_nifti` and return the first volume as float32."""
    return _read(Path(path), keep=True)


def _read(path: Path, keep: bool) -> Volume:
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw
        try:
            header = _read_header(stream, compressed)
            info, layout = _check_header(header, compressed)
            first = _read_data(stream, info, layout)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise MediaError(
                f"The NIfTI file is damaged: its gzip data is incomplete or corrupt ({exc}); "
                "the file may have been cut short while copying or uploading."
            ) from None
        except OSError as exc:
            raise MediaError(f"The NIfTI file cannot be read ({exc}).") from None
    data = _scaled(first, layout["slope"], layout["inter"], keep)
    return Volume(info=info, data=data, affine=layout["affine"], header=header)


def _read_header(stream: io.BufferedIOBase, compressed: bool) -> Any:
    import struct

    from nibabel.nifti1 import Nifti1Header
    from nibabel.nifti2 import Nifti2Header

    head = stream.read(548)  # enough for either header's size and magic
    stream.seek(0)
    kind, magic = None, b""
    for order in "<>":
        size = struct.unpack(order + "i", head[:4])[0] if len(head) >= 4 else 0
        if size in (348, 540) and len(head) < size:
            raise MediaError(
                "The NIfTI file ends inside its header; it may have been cut short while "
                "copying or uploading."
            )
        if size == 348:
            kind, magic = Nifti1Header, head[344:347]
        elif size == 540:
            kind, magic = Nifti2Header, head[4:7]
    if magic in (b"ni1", b"ni2"):
        raise MediaError(
            "The file is a NIfTI header without its data (a .hdr/.img pair); "
            "upload a single-file .nii or .nii.gz."
        )
    if kind is None or magic not in (b"n+1", b"n+2"):
        what = "a gzip file, but what it holds is not" if compressed else "not"
        raise MediaError(f"The file is {what} a NIfTI volume (.nii or .nii.gz).")
    try:
        # check=False: the checks below must see the header as written; nibabel's own
        # check would silently "fix" zero or negative voxel sizes
        header = kind.from_fileobj(stream, check=False)
    except (EOFError, zlib.error, OSError):
        raise
    except Exception as exc:  # nibabel raises assorted errors on nonsense headers
        raise MediaError(f"The NIfTI header is damaged ({exc}).") from None
    return header


def _check_header(header: Any, compressed: bool) -> tuple[VolumeInfo, dict[str, Any]]:
    import numpy as np
    from nibabel.spatialimages import HeaderDataError

    try:
        shape = [int(d) for d in header.get_data_shape()]
    except (HeaderDataError, ValueError) as exc:
        raise MediaError(f"The NIfTI header is damaged ({exc}).") from None
    if any(d <= 0 for d in shape):
        raise MediaError(f"The NIfTI volume is empty (dimensions {_dims(shape)}).")
    while len(shape) > 3 and shape[-1] == 1:  # (x, y, z, 1) is an ordinary 3D volume
        shape.pop()
    if len(shape) < 3 or min(shape[:3]) < 2:
        raise MediaError(
            f"The NIfTI file holds a 2D image ({_dims(shape)}); a 3D volume is needed."
        )
    if len(shape) > 4:
        raise MediaError(
            f"The NIfTI file has {len(shape)} dimensions ({_dims(shape)}); "
            "only 3D volumes and 4D series are accepted."
        )
    if max(shape[:3]) > MAX_AXIS:
        raise MediaError(
            f"The volume is too large ({_dims(shape[:3])}); at most {MAX_AXIS} voxels per axis."
        )
    voxels = shape[0] * shape[1] * shape[2]
    n_volumes = shape[3] if len(shape) == 4 else 1
    if voxels > MAX_VOXELS or voxels * n_volumes > MAX_TOTAL_VOXELS:
        raise MediaError(
            f"The volume is too large ({_dims(shape)}, {voxels * n_volumes:,} voxels); "
            f"at most {MAX_VOXELS:,} voxels per volume and {MAX_TOTAL_VOXELS:,} in all."
        )
    try:
        dtype = header.get_data_dtype()
    except (HeaderDataError, KeyError, ValueError):
        dtype = None
    if dtype is None or dtype.kind not in "uif" or dtype.itemsize > 8:
        raise MediaError(
            f"The NIfTI data type '{_dtype_name(header)}' is not supported; "
            "integer or floating-point voxels are needed (not complex or RGB)."
        )

    unit = header.get_xyzt_units()[0]
    pixdim = np.asarray(header["pixdim"][1:4], dtype=np.float64)
    sizes = pixdim * _UNIT_TO_MM.get(unit, 1.0)
    if not np.all(np.isfinite(sizes)) or np.any(sizes <= 0):
        raise MediaError(
            f"The NIfTI header has invalid voxel sizes ({_sizes(pixdim)}); "
            "they must be positive numbers."
        )
    if np.any(sizes > MAX_VOXEL_SIZE_MM):
        raise MediaError(
            f"The NIfTI header has implausible voxel sizes ({_sizes(sizes)} mm); "
            f"at most {MAX_VOXEL_SIZE_MM:g} mm."
        )
    try:
        affine = header.get_best_affine()
        slope, inter = header.get_slope_inter()
    except (HeaderDataError, ValueError, np.linalg.LinAlgError) as exc:
        raise MediaError(f"The NIfTI header is damaged ({exc}).") from None
    if not np.all(np.isfinite(affine)) or abs(np.linalg.det(affine[:3, :3])) < 1e-12:
        raise MediaError("The NIfTI header's orientation (qform/sform) is invalid.")

    single = 352 if header.sizeof_hdr == 348 else 544  # header + 4-byte extension flag
    info = VolumeInfo(
        shape=tuple(shape),
        voxel_size_mm=(float(sizes[0]), float(sizes[1]), float(sizes[2])),
        dtype=str(dtype.newbyteorder("=")),
        n_volumes=n_volumes,
        format="NIfTI-2" if header.sizeof_hdr == 540 else "NIfTI-1",
        compressed=compressed,
    )
    layout = {
        # like nibabel: a vox_offset inside the header means "right after the header"
        "offset": max(int(header["vox_offset"]), single),
        "dtype": dtype,
        "slope": slope,
        "inter": inter,
        "affine": affine,
    }
    return info, layout


def _read_data(stream: io.BufferedIOBase, info: VolumeInfo, layout: dict[str, Any]) -> np.ndarray:
    """Read the first volume, then make sure the rest of a series is there without keeping
    it: never more than the header declares is decompressed."""
    import numpy as np

    dtype = layout["dtype"]
    first_bytes = int(np.prod(info.spatial_shape)) * dtype.itemsize
    total = first_bytes * info.n_volumes
    gap = layout["offset"] - stream.tell()
    if gap < 0:
        raise MediaError("The NIfTI header is damaged (its extensions overlap the data).")
    _discard(stream, gap)
    buffer = stream.read(first_bytes)
    rest = _discard(stream, total - first_bytes) if len(buffer) == first_bytes else 0
    if len(buffer) + rest < total:
        raise MediaError(
            f"The NIfTI data is incomplete: the header declares {total:,} bytes of voxels but "
            f"the file holds {len(buffer) + rest:,}; it may have been cut short while copying "
            "or uploading."
        )
    stream.read(_CHUNK)  # reach the end of a gzip stream, so that its checksum is verified
    data = np.frombuffer(buffer, dtype=dtype).reshape(info.spatial_shape, order="F")
    if dtype.kind == "f" and not np.isfinite(data).all():
        bad = int(data.size - np.count_nonzero(np.isfinite(data)))
        raise MediaError(f"The NIfTI data holds {bad:,} voxels that are NaN or infinite.")
    return data


def _discard(stream: io.BufferedIOBase, count: int) -> int:
    """Read and drop `count` bytes in chunks; returns how many there were."""
    got = 0
    while got < count:
        chunk = stream.read(min(_CHUNK, count - got))
        if not chunk:
            break
        got += len(chunk)
    return got


def _scaled(data: np.ndarray, slope: float | None, inter: float | None, keep: bool) -> np.ndarray:
    import numpy as np

    if slope is not None and data.size:
        # the largest scaled magnitude must fit float32 (NIfTI stores slope as float32 too)
        offset = abs(inter) if inter is not None else 0.0
        peak = max(abs(float(data.min())), abs(float(data.max()))) * abs(slope) + offset
        if not np.isfinite(peak) or peak > float(np.finfo(np.float32).max):
            raise MediaError("The NIfTI intensity scaling (scl_slope/scl_inter) overflows.")
    if not keep:
        return data
    out = data.astype(np.float32)
    if slope is not None and (slope != 1.0 or inter != 0.0):
        out *= np.float32(slope)
        out += np.float32(inter)
    return out


def _dims(shape: Sequence[int]) -> str:
    return "×".join(str(d) for d in shape)


def _sizes(values: Iterable[float]) -> str:
    return " × ".join(f"{v:g}" for v in values)


def _dtype_name(header: Any) -> str:
    from nibabel.nifti1 import data_type_codes

    code = int(header["datatype"])
    return str(data_type_codes.label.get(code, f"code {code}"))
