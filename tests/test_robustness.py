"""Issue 12: unusual, damaged and hostile input never crashes, hangs or leaves an empty file.
`make fuzz` runs the whole corpus; these are its cases that fit in `make test`."""

import os
import shutil
import time

import pytest
import srt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidcap.learning import synth
from vidcap.cli import main
from vidcap.analysis.decode import parse_probe
from vidcap.errors import VidcapError
from vidcap.bench.fuzz import STALL, oversized_png, stalling_ffmpeg
from vidcap.pipeline import Options, describe_video
from vidcap.narration.writers import get_writer


@pytest.fixture(scope="module")
def small_video(tmp_path_factory):
    """1.5 s of two shots at 160x90, moov first: damage to it leaves something to decode."""
    path = str(tmp_path_factory.mktemp("small") / "small.mp4")
    synth.make_cuts_video(path, [0.8, 0.7], size="160x90", codec_args=["-movflags", "+faststart"])
    return path


def test_a_stalled_decode_ends_at_the_time_limit(small_video, tmp_path, monkeypatch, capsys):
    stalled = str(tmp_path / f"{STALL}.mp4")
    shutil.copyfile(small_video, stalled)
    monkeypatch.setenv("VIDCAP_FFMPEG", stalling_ffmpeg(str(tmp_path)))
    began = time.monotonic()
    code = main(["describe", stalled, "--no-cache", "--time-limit", "2", "-o", str(tmp_path / "out.srt")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "time limit" in err
    assert time.monotonic() - began < 30
    assert not (tmp_path / "out.srt").exists()


def test_cover_art_is_no_video(tmp_path, capsys):
    """An audio file whose only picture is its cover: said so, not 'truncated at 0 s'."""
    cover, song = str(tmp_path / "cover.png"), str(tmp_path / "song.m4a")
    synth.run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=120x120", "-frames:v", "1", cover])
    synth.run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=2", "-i", cover, "-map", "0:a", "-map", "1:v",
                      "-c:v", "png", "-disposition:v", "attached_pic", song])
    assert main(["describe", song, "-o", str(tmp_path / "out.srt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cover art" in err


def test_frames_too_big_to_decode_are_refused_in_one_line(tmp_path, capsys):
    """A PNG whose header claims 16384x16384, past ffmpeg's limit (frames up to about 16000x16000
    decode: 1.6 GB at most, measured). Said so, not "corrupt header"."""
    huge = tmp_path / "huge.png"
    oversized_png(str(huge))
    assert main(["describe", str(huge), "-o", str(tmp_path / "out.srt")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "16384x16384 are beyond what can be decoded" in err


def test_a_codec_tag_is_not_the_frame_size():
    """make fuzz: MPEG-2 in MPEG-TS, "[2][0][0][0] / 0x0002", read as a 0x2 frame (ZeroDivisionError)."""
    text = ("  Duration: 00:00:02.00, start: 1.440000, bitrate: 2496 kb/s\n"
            "  Stream #0:0[0x100]: Video: mpeg2video (Main) ([2][0][0][0] / 0x0002), yuv420p(tv, top first), "
            "720x576 [SAR 16:15 DAR 4:3], 25 fps, 25 tbr, 90k tbn, start 1.440000\n")
    info = parse_probe("interlaced.ts", text)
    assert (info.width, info.height) == (768, 576)


def test_a_slow_frame_rate_is_not_truncation(tmp_path):
    """make fuzz: 8 s at 0.5 fps ends with a frame at 6 s that stays up 2 s; it was refused as truncated."""
    path = str(tmp_path / "slow.mp4")
    synth.run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x90:rate=0.5:duration=8", "-c:v", "libx264", path])
    result = describe_video(path, Options(use_cache=False))
    assert result.cues


def test_a_single_frame_still_gets_a_cue(tmp_path):
    """make fuzz: a one-frame video (and any under a cue's reading time) gave an empty file."""
    path = str(tmp_path / "one.mp4")
    synth.run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=160x90:rate=25", "-frames:v", "1", "-c:v", "libx264", path])
    result = describe_video(path, Options(use_cache=False))
    assert len(result.cues) == 1 and result.cues[0].start == 0
    assert list(srt.parse(get_writer("srt").format(result)))


def test_timestamps_that_run_backwards_are_one_clear_error(small_video, tmp_path):
    """Found by the byte-mutation test below: one byte of the moov flipped (at 6.6 %, mask 128)
    sent every frame after the first to -167771 s, and the shot detector raised ValueError."""
    data = bytearray(open(small_video, "rb").read())
    data[int(0.06566122191851353 * len(data))] ^= 128
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    with pytest.raises(VidcapError, match="corrupt timestamps: a frame at -167771.52 s after one at 0.00 s"):
        describe_video(str(damaged), Options(use_cache=False, time_limit=60))


def test_a_frame_rate_of_zero_is_taken_as_unknown():
    """Found the same way: a header flipped to "0.0000 fps" made PySceneDetect raise ValueError."""
    text = ("  Duration: 00:00:01.52, start: 0.000000, bitrate: 35 kb/s\n"
            "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 160x90 "
            "[SAR 1:1 DAR 16:9], 70 kb/s, 0.0000 fps, 0.0000 tbr, 12800 tbn (default)\n")
    assert parse_probe("damaged.mp4", text).fps == 25.0


def test_a_time_base_gone_wrong_is_one_clear_error(small_video, tmp_path):
    """Found by a longer run of the byte-mutation test below: one byte of the moov flipped (at
    2.1 %, mask 125) made the stream 4,096,025 frames a second, so its frames spanned no time and
    the subtitle file was left empty."""
    data = bytearray(open(small_video, "rb").read())
    data[int(0.021133915870757976 * len(data))] ^= 125
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    with pytest.raises(VidcapError, match=r"corrupt timestamps: its \d+ frames span 0.0\d+ ms"):
        describe_video(str(damaged), Options(use_cache=False, time_limit=60))


def test_a_pixel_aspect_past_all_reason_is_ignored():
    """Found by a longer run of the byte-mutation test below: flipped bytes in the moov gave a
    16x160 picture of pixels 1:7169, 0 pixels wide once stretched, and the frame size was divided
    by zero. Such pixels are shown as stored."""
    text = ("  Duration: 00:00:01.52, start: 0.000000, bitrate: 66 kb/s\n"
            "  Stream #0:0[0x1](und): Video: h264 (avc1 / 0x31637661), yuv420p(progressive), 16x160, 70 kb/s, "
            "SAR 1:7169 DAR 1:71690, 25 fps, 25 tbr, 12800 tbn (default)\n")
    info = parse_probe("damaged.mp4", text)
    assert (info.width, info.height) == (16, 160)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), max_size=30),
       keep=st.floats(0.02, 1.0))
def test_damaged_bytes_give_a_valid_file_or_one_clear_error(small_video, tmp_path, flips, keep):
    data = bytearray(open(small_video, "rb").read())
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data[:max(1, int(keep * len(data)))]))
    try:
        result = describe_video(str(damaged), Options(use_cache=False, time_limit=60))
    except VidcapError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert result.cues, "a damaged file described as nothing"
    assert list(srt.parse(get_writer("srt").format(result)))
