"""Whether a browser plays an uploaded video as it is: then the result page plays the upload
itself, with the boxes drawn over it from `detections.jsonl`, and nothing is encoded while
the job runs. Chromium, Firefox and Safari all play H.264 (8-bit 4:2:0) in MP4, and VP8,
VP9 and AV1 in WebM or MP4; MOV, AVI and Matroska files, HEVC, MPEG-4 Part 2 and 10-bit
H.264 are left to the transcode. The upload is served with its sniffed media type, so the
container is told by it; the codecs by PyAV where it is installed, else by OpenCV's FourCC
of the video stream (then the audio and the pixel format go unchecked)."""

from __future__ import annotations

from pathlib import Path

# Per container (the upload's media type): the video codecs (FFmpeg's names) browsers
# decode, each with the pixel formats they take.
_VIDEO: dict[str, dict[str, frozenset[str]]] = {
    "video/mp4": {
        "h264": frozenset({"yuv420p", "yuvj420p"}),
        "vp9": frozenset({"yuv420p", "yuv420p10le"}),
        "av1": frozenset({"yuv420p", "yuv420p10le"}),
    },
    "video/webm": {
        "vp8": frozenset({"yuv420p", "yuva420p"}),
        "vp9": frozenset({"yuv420p", "yuva420p", "yuv420p10le"}),
        "av1": frozenset({"yuv420p", "yuv420p10le"}),
    },
}
_AUDIO = frozenset({"aac", "mp3", "opus", "vorbis", "flac"})
# OpenCV's FourCC of a video stream, as FFmpeg's codec names.
_FOURCC = {
    "h264": "h264",
    "avc1": "h264",
    "avc3": "h264",
    "vp80": "vp8",
    "vp90": "vp9",
    "vp09": "vp9",
    "av01": "av1",
}


def browser_playable(path: Path, media_type: str, fourcc: str) -> bool:
    """Whether browsers play the video at `path` (an upload of `media_type`, whose video
    stream OpenCV reads as `fourcc`) as it is."""
    codecs = _VIDEO.get(media_type)
    if codecs is None:
        return False
    try:
        import av
    except ImportError:
        return _FOURCC.get(fourcc.lower()) in codecs
    try:
        with av.open(str(path)) as container:
            video = container.streams.video
            if len(video) != 1:
                return False
            formats = codecs.get(video[0].codec_context.name)
            if formats is None or video[0].codec_context.pix_fmt not in formats:
                return False
            return all(a.codec_context.name in _AUDIO for a in container.streams.audio)
    except (av.FFmpegError, OSError):
        return False
