import numpy as np
import pytest

from conftest import VFR_TIMES
from vidcap.analysis.decode import analysis_size, iter_frames, parse_probe, probe
from vidcap.errors import VidcapError


def times(path, **kw):
    return [f.time for f in iter_frames(probe(path), **kw)]


def test_variable_frame_rate_keeps_true_presentation_times(clips):
    assert times(clips["vfr.mp4"]) == pytest.approx(VFR_TIMES, abs=1e-3)


def test_constant_rate_times(clips):
    t = times(clips["cuts.mp4"])
    assert len(t) == 163 or len(t) == 162  # 6.5 s at 25 fps
    assert np.allclose(np.diff(t), 0.04, atol=1e-6)


def test_decode_fps_cap_keeps_real_frames(clips):
    t = times(clips["cuts.mp4"], fps=5)
    assert 30 <= len(t) <= 34
    assert all(abs(x / 0.04 - round(x / 0.04)) < 1e-6 for x in t)  # real frame times, not a grid
    assert np.all(np.diff(t) >= 0.2 - 1e-6)


def test_a_whole_file_read_at_a_low_rate_is_not_truncated(tmp_path):
    """Review: thanks.mp4 (7.04 s) read at 1 fps ends with a frame at 6.0 s, which was refused
    as "truncated" (the slack was one frame of the file's rate, not of the rate it was read at)."""
    from vidcap.learning.synth import run_ffmpeg

    path = str(tmp_path / "seven.mp4")
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=25:d=3.9", "-c:v", "libx264", "-pix_fmt", "yuv420p", path])
    assert [f.time for f in iter_frames(probe(path), fps=0.5)] == pytest.approx([0.0, 2.0])


def test_rotated_phone_video_is_upright(clips):
    info = probe(clips["rotated.mp4"])
    assert (info.width, info.height, abs(info.rotation)) == (240, 320, 90)
    frame = next(iter_frames(info))
    assert frame.image.shape[0] > frame.image.shape[1]


def test_nonzero_start_time_counts_from_zero(clips):
    info = probe(clips["offset.mp4"])
    assert info.start_time == pytest.approx(2.5)
    assert times(clips["offset.mp4"]) == pytest.approx(times(clips["cuts.mp4"]), abs=1e-3)


def test_non_square_pixels_give_display_aspect(clips, real):
    info = probe(clips["sar.mp4"])
    assert (info.width, info.height) == (640, 240)
    assert next(iter_frames(info)).image.shape == (224, 598, 3)
    carphone = probe(real["carphone_pristine"])  # 176x144 with SAR 128:117
    assert (carphone.width, carphone.height) == (193, 144)


def test_odd_sizes_give_even_frames(clips):
    info = probe(clips["odd.mp4"])
    assert (info.width, info.height) == (321, 177)
    w, h = analysis_size(info, 224)
    assert w % 2 == 0 and h % 2 == 0 and abs(w / h - 321 / 177) < 0.02
    assert next(iter_frames(info)).image.shape == (h, w, 3)


def test_parse_probe_reads_ffmpeg_text():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'phone.mp4':
  Duration: 00:01:02.50, start: 0.021000, bitrate: 17000 kb/s
  Stream #0:0[0x1](eng): Video: hevc (Main) (hvc1 / 0x31637668), yuv420p(tv, bt709), 1920x1080, 16000 kb/s, 29.97 fps, 29.97 tbr, 600 tbn (default)
    Metadata:
      creation_time   : 2024-05-01T10:00:00.000000Z
    Side data:
      displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](eng): Audio: aac (LC), 44100 Hz, stereo, fltp, 192 kb/s (default)
"""
    info = parse_probe("phone.mp4", text)
    assert (info.width, info.height, info.rotation) == (1080, 1920, -90)
    assert info.duration == pytest.approx(62.5) and info.fps == pytest.approx(29.97)
    assert info.start_time == pytest.approx(0.021)


@pytest.mark.parametrize("guessed, stream", [
    ("vvc", "Video: vvc, none, 25 fps, 1200k tbr, 1200k tbn"),
    ("h263", "Video: h263, none, 25 fps, 1200k tbr, 1200k tbn"),
    ("mp3", "Audio: mp3, 44100 Hz, stereo, fltp, 128 kb/s"),
])
def test_random_bytes_that_ffmpeg_half_recognises_are_not_a_video(guessed, stream):
    """About one file of random bytes in a hundred probes as a raw stream; seen in CI."""
    text = (f"[in#0 @ 0x1] Format {guessed} detected only with low score of 12, misdetection possible!\n"
            f"Input #0, {guessed}, from 'x.mp4':\n  Duration: N/A, bitrate: N/A\n  Stream #0:0: {stream}\n")
    with pytest.raises(VidcapError, match=f"not a playable video: unrecognised data \\(ffmpeg guessed {guessed}"):
        parse_probe("x.mp4", text)


@pytest.mark.parametrize("name, message", [
    ("missing.mp4", "no such file"), ("empty.mp4", "empty file"),
    ("text.txt", "not a video"), ("text.mp4", "not a playable video"),
    ("corrupt.mp4", "not a playable video"),
    ("audio.m4a", "no video stream"), ("truncated_moov.mp4", "moov atom not found"),
])
def test_bad_input_is_a_clear_error(clips, tmp_path, name, message):
    path = clips.get(name, str(tmp_path / name))
    with pytest.raises(VidcapError, match=message):
        list(iter_frames(probe(path)))


def test_truncated_stream_is_an_error(clips):
    with pytest.raises(VidcapError, match="truncated"):
        list(iter_frames(probe(clips["truncated.mp4"])))


def test_stopping_early_ends_ffmpeg(clips):
    frames = iter_frames(probe(clips["cuts.mp4"]), prefetch=2)
    next(frames)
    frames.close()  # must not hang or leave ffmpeg running
