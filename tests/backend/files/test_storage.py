"""Job folders on disk: only job ids and plain file names ever become paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgallery.files.storage import JobFiles, UnsafePathError

JOB = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def files(tmp_path: Path) -> JobFiles:
    return JobFiles(tmp_path / "jobs")


@pytest.mark.parametrize(
    "job_id",
    [
        "",
        "..",
        "../../etc",
        JOB[:-1],
        JOB + "0",
        JOB.upper(),
        "g" * 32,
        JOB[:-1] + "/",
        "/" + JOB[1:],
        JOB + "\n",
        JOB[:-1] + "\x00",
        " " + JOB[1:],
    ],
)
def test_bad_job_ids_are_refused(files: JobFiles, job_id: str) -> None:
    for call in (files.job_dir, files.input_dir, files.output_dir, files.create, files.remove):
        with pytest.raises(UnsafePathError):
            call(job_id)
    with pytest.raises(UnsafePathError):
        files.output_path(job_id, "summary.json")
    assert not files.root.exists()  # nothing was created on the way


def test_folders_of_a_job(files: JobFiles, tmp_path: Path) -> None:
    assert files.job_dir(JOB) == tmp_path / "jobs" / JOB
    files.create(JOB)
    files.create(JOB)  # again: no error
    assert files.input_dir(JOB).is_dir() and files.output_dir(JOB).is_dir()
    assert files.input_dir(JOB) == tmp_path / "jobs" / JOB / "input"
    assert (
        files.output_path(JOB, "summary.json")
        == (tmp_path / "jobs" / JOB / "output" / "summary.json").resolve()
    )


@pytest.mark.parametrize(
    "name",
    [
        "input-0.png",
        "inverted-0.png",
        "summary.json",
        "input-0.nii.gz",
        "A_b-9.tar",
        "x" * 201,
        "0",
    ],
)
def test_plain_names_are_accepted(files: JobFiles, name: str) -> None:
    files.create(JOB)
    assert files.input_path(JOB, name).parent == files.input_dir(JOB).resolve()
    assert files.output_path(JOB, name).name == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "..",
        "../secret.key",
        "../../secret.key",
        "..%2Fsecret.key",
        "a/b.png",
        "a\\b.png",
        "/etc/passwd",
        "C:\\x.png",
        ".hidden",
        ".env",
        "-rf",
        "_x.png",
        "a..b",
        "summary.json\x00.png",
        "summary.json\n",
        "in\nput.png",
        "in put.png",
        "x" * 202,
        "photo é.png",
        "~user",
    ],
)
def test_unsafe_names_are_refused(files: JobFiles, name: str) -> None:
    files.create(JOB)
    for call in (files.input_path, files.output_path):
        with pytest.raises(UnsafePathError):
            call(JOB, name)


def test_a_link_leading_out_of_the_folder_is_refused(files: JobFiles, tmp_path: Path) -> None:
    files.create(JOB)
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    (files.output_dir(JOB) / "result.png").symlink_to(outside)
    with pytest.raises(UnsafePathError):
        files.output_path(JOB, "result.png")


def test_remove_is_idempotent(files: JobFiles) -> None:
    other = "f" * 32
    files.create(JOB)
    files.create(other)
    (files.output_dir(JOB) / "summary.json").write_text("{}")
    files.remove(JOB)
    assert not files.job_dir(JOB).exists()
    files.remove(JOB)  # again: no error
    files.remove("e" * 32)  # never created: no error
    assert files.output_dir(other).is_dir()  # other jobs untouched
