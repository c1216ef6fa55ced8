"""A job's run takes each input's kind from the record, as the upload's check found it (by
the file's bytes), rather than working it out again; a record made before the kind was kept
gets it from the media type."""

from __future__ import annotations

from pathlib import Path

from modelgallery.core.settings import Settings
from modelgallery.files.storage import JobFiles
from modelgallery.jobs.lifecycle.runs import run_of
from modelgallery.store.records import InputFile, Job
from modelgallery.vision.registry import load_registry
from tests.support.server import TOY_REGISTRY


def _input(media_type: str, kind: str | None) -> InputFile:
    return InputFile(
        name="a", stored="input-0.bin", size=1, sha256="0" * 64, media_type=media_type, kind=kind
    )


def test_the_kind_comes_from_the_record_and_old_records_from_the_media_type(
    tmp_path: Path,
) -> None:
    spec = next(iter(load_registry(TOY_REGISTRY, tmp_path).models.values()))
    files, settings = JobFiles(tmp_path), Settings(data_dir=tmp_path)
    kept = Job(model=spec.name, inputs=[_input("application/zip", "zip")])
    assert [i.kind for i in run_of(kept, spec, files, settings).inputs] == ["zip"]
    old = Job(model=spec.name, inputs=[_input("video/mp4", None), _input("image/png", None)])
    assert [i.kind for i in run_of(old, spec, files, settings).inputs] == ["video", "image"]
    # what a store keeps, it gives back
    assert Job.model_validate_json(kept.model_dump_json()).inputs[0].kind == "zip"
