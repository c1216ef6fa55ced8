"""Videos: the upload probe and the streaming reader (media), and the VP9 WebM writer
(vision.pipelines.webm), on the shared sample and on files made here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from modelgallery.media import video
from modelgallery.media.check import check
from modelgallery.media.sniff import MediaError
from modelgallery.media.video import open_video, probe_video
from modelgallery.vision.pipelines import webm
from modelgallery.vision.pipelines.webm import WebmWriter

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")


@pytest.fixture(scope="module")
def sample(samples: Path) -> Path:
    return samples / "people_movement.mp4"


def test_probe_reads_the_sample(sample: Path) -> None:
    info = probe_video(sample)
    assert (info.width, info.height) == (1280, 720)
    assert info.fps == pytest.approx(29.5, abs=0.05)
    assert info.frames == 182
    assert info.codec.lower() in ("h264", "avc1")
    assert info.duration_s == pytest.approx(6.16, abs=0.05)


def test_upload_check_uses_the_probe(sample: Path, tmp_path: Path) -> None:
    assert check(sample, ["image", "zip", "video"]).kind == "video"
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(sample.read_bytes()[:4096])  # the header, not the frames
    with pytest.raises(MediaError, match="The MP4 video is damaged"):
        check(broken, ["image", "video"])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda data: data[:4096], "damaged or uses a format that cannot be decoded"),
        (lambda data: data[:40] + bytes(range(256)) * 64, "damaged"),
        (lambda data: b"just some text, not a video\n" * 20, "damaged"),
        (lambda data: b"", "damaged"),
    ],
    ids=["truncated", "garbage-after-header", "text", "empty"],
)
def test_probe_refuses_what_does_not_decode(sample: Path, tmp_path: Path, content, message):
    path = tmp_path / "upload.mp4"
    path.write_bytes(content(sample.read_bytes()))
    with pytest.raises(MediaError, match=message):
        probe_video(path, "MP4 video")


def test_probe_refuses_absurd_sizes_and_lengths(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(video, "MAX_SIDE", 1000)
    with pytest.raises(MediaError, match="1280x720 pixels; 1000 pixels a side at most"):
        probe_video(sample, "MP4 video")
    monkeypatch.setattr(video, "MAX_SIDE", 4096)
    monkeypatch.setattr(video, "MAX_DURATION_S", 3)
    with pytest.raises(MediaError, match="lasts 0.1 minutes; videos of up to 0 minutes"):
        probe_video(sample, "MP4 video")


def test_duration_limit_fits_the_job_timeout() -> None:
    # 10 min at 30 fps within object detection's 1800 s timeout: 100 ms a frame
    assert video.MAX_DURATION_S == 10 * 60


def test_reader_streams_every_frame(sample: Path) -> None:
    with open_video(sample) as reader:
        shapes = {frame.shape for frame in reader}
        count = reader.info.frames
    assert shapes == {(720, 1280, 3)}
    assert count == 182


def moving_square(index: int, size: tuple[int, int]) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), 40, np.uint8)
    x = (index * 5) % (size[0] - 20)
    frame[20:40, x : x + 20] = (0, 200, 255)
    return frame


def test_writer_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.webm"
    size, fps = (160, 120), 29.528
    with WebmWriter(path, fps, size) as writer:
        for i in range(45):
            writer.write(moving_square(i, size))
    assert writer.frames == 45

    info = probe_video(path)
    assert (info.width, info.height) == size
    assert info.codec == "VP90"
    assert info.fps == pytest.approx(fps, abs=0.01)
    with open_video(path) as reader:
        frames = list(reader)
    assert len(frames) == 45
    # lossy, but the square is where it was drawn
    assert frames[10][30, 55].tolist() == pytest.approx([0, 200, 255], abs=40)


def test_writer_output_reopens_in_pyav_with_the_source_rate(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    path = tmp_path / "out.webm"
    size, fps = (320, 180), 29.528046679628584  # the sample's rate
    with WebmWriter(path, fps, size) as writer:
        for i in range(61):
            writer.write(moving_square(i, size))

    with av.open(str(path)) as container:
        assert container.format.name.startswith("matroska,webm")
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp9"
        assert stream.average_rate == pytest.approx(fps, abs=0.01)
        decoded = list(container.decode(stream))
    assert len(decoded) == 61
    assert {(f.width, f.height, f.format.name) for f in decoded} == {(320, 180, "yuv420p")}
    # browsers seek to keyframes: one every 2 s
    assert [i for i, f in enumerate(decoded) if f.key_frame] == [0, 59]

    capture = cv2.VideoCapture(str(path))
    try:
        assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(fps, abs=0.01)
        count = 0
        while capture.read()[0]:
            count += 1
    finally:
        capture.release()
    assert count == 61


def test_writer_without_pyav_uses_opencv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # import av raises ImportError
    path = tmp_path / "out.webm"
    with WebmWriter(path, 25, (64, 48)) as writer:
        assert isinstance(writer._encoder, webm._OpenCvEncoder)
        for i in range(10):
            writer.write(moving_square(i, (64, 48)))
    info = probe_video(path)
    assert (info.width, info.height, info.codec) == (64, 48, "VP90")
    with open_video(path) as reader:
        assert sum(1 for _ in reader) == 10


def test_writer_needs_even_sides(tmp_path: Path) -> None:
    for size in ((63, 48), (64, 47), (1, 2)):
        with pytest.raises(ValueError, match="even sides"):
            WebmWriter(tmp_path / "out.webm", 25, size)


def test_writer_refuses_frames_of_another_size(tmp_path: Path) -> None:
    with WebmWriter(tmp_path / "out.webm", 25, (64, 48)) as writer:
        writer.write(moving_square(0, (64, 48)))
        with pytest.raises(ValueError, match="same size"):
            writer.write(moving_square(0, (48, 64)))
    assert writer.frames == 1


def test_writer_falls_back_to_a_usable_rate(tmp_path: Path) -> None:
    for bad in (0.0, float("nan"), 10_000.0):
        writer = WebmWriter(tmp_path / "out.webm", bad, (32, 32))
        writer.write(moving_square(0, (32, 32)))
        writer.close()
        assert writer.fps == 25.0
