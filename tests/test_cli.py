import json
import os
import subprocess
import sys

import pysubs2
import pytest
import srt

from test_cues import check_rules
from vidcap.cli import main
from vidcap.analysis.decode import ffmpeg_exe


def run(capsys, *args):
    code = main(list(args))
    return code, capsys.readouterr().err


def test_describe_bikes_writes_readable_srt(bikes_copy, tmp_path, capsys):
    out = tmp_path / "bikes.srt"
    code, err = run(capsys, "describe", bikes_copy, "-o", str(out))
    assert code == 0, err
    cues = list(srt.parse(out.read_text()))
    assert cues, "no cue at all"
    assert len(pysubs2.load(str(out))) == len(cues)
    check = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(out), "-f", "srt", "-"],
                           capture_output=True, text=True)
    assert check.returncode == 0 and check.stderr == ""


def test_describe_json_lists_the_shots(bikes_copy, tmp_path, capsys):
    out = tmp_path / "bikes.json"
    code, err = run(capsys, "describe", bikes_copy, "-o", str(out))
    assert code == 0, err
    data = json.loads(out.read_text())
    assert [s["start"] for s in data["shots"][1:]] == pytest.approx([1.20, 3.04, 5.48, 7.48, 9.68], abs=0.1)
    assert data["video"]["duration"] == pytest.approx(10.0, abs=0.05)
    assert [t["text"] for t in data["shots"][1]["facts"]["text"]] == ["TAXI"]  # the taxi's roof sign
    assert data["model"]["narrator"] == "rules" and data["model"]["encoder"] == "efficientnet-lite0"
    from vidcap.narration.cues import Cue
    check_rules([Cue(c["start"], c["end"], c["text"]) for c in data["cues"]], 10.0, 25.0)


def test_vtt_by_format_flag(bikes_copy, tmp_path, capsys):
    out = tmp_path / "bikes.txt"
    code, err = run(capsys, "describe", bikes_copy, "-o", str(out), "--format", "vtt")
    assert code == 0, err
    assert out.read_text().startswith("WEBVTT")


@pytest.mark.parametrize("name, message", [
    ("missing.mp4", "no such file"), ("empty.mp4", "empty file"), ("text.txt", "not a video"),
    ("text.mp4", "not a playable video"), ("corrupt.mp4", "not a playable video"), ("audio.m4a", "no video stream"),
    ("truncated.mp4", "truncated"), ("truncated_moov.mp4", "moov atom"),
])
def test_bad_video_one_line_error_and_previous_output_kept(clips, tmp_path, capsys, name, message):
    out = tmp_path / "out.srt"
    out.write_text("previous\n")  # --overwrite: kept all the same, as the run fails before writing
    code, err = run(capsys, "describe", clips.get(name, str(tmp_path / name)), "-o", str(out), "--overwrite")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("vidcap: error:") and message in err
    assert out.read_text() == "previous\n"
    assert os.listdir(tmp_path) == ["out.srt"]  # no temporary left behind


@pytest.mark.parametrize("output, message", [
    ("nowhere/out.srt", "does not exist"), ("out.doc", "cannot tell the format"), (".", "is a directory"),
])
def test_bad_output_is_refused_before_work(bikes_copy, tmp_path, capsys, output, message):
    code, err = run(capsys, "describe", bikes_copy, "-o", str(tmp_path / output))
    assert code == 1 and message in err and err.count("\n") == 1


def test_output_that_fails_at_write_time(bikes_copy, capsys):
    code, err = run(capsys, "describe", bikes_copy, "-o", "/proc/vidcap-test.srt")
    assert code == 1 and "cannot write" in err and err.count("\n") == 1


def test_console_script_help_and_errors(tmp_path):
    vidcap = os.path.join(os.path.dirname(sys.executable), "vidcap")
    assert subprocess.run([vidcap, "--help"], capture_output=True).returncode == 0
    bad = subprocess.run([vidcap, "describe", str(tmp_path / "none.mp4")], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0 and "no such file" in bad.stderr
    usage = subprocess.run([vidcap, "describe"], capture_output=True, text=True)
    assert usage.returncode == 2


def test_a_subtitle_file_made_by_hand_is_never_overwritten_unasked(bikes_copy, tmp_path, capsys):
    """`make subtitles VIDEO=film.mp4` writes film.srt beside the film: where a describer's own
    film.srt stands there, it is kept and the run stops at once; vidcap's own file, unedited, is
    replaced on a rerun; --overwrite replaces anything."""
    out = tmp_path / "bikes.srt"
    out.write_text("1\n00:00:00,000 --> 00:00:02,000\nA cyclist in traffic, described by hand.\n")
    code, err = run(capsys, "describe", bikes_copy, "-o", str(out))
    assert code == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1, err
    assert "by hand" in out.read_text()
    assert run(capsys, "describe", bikes_copy, "-o", str(out), "--overwrite")[0] == 0
    assert run(capsys, "describe", bikes_copy, "-o", str(out))[0] == 0  # its own output, unedited
    out.write_text(out.read_text().replace("bicycle", "bike"))  # edited since
    assert run(capsys, "describe", bikes_copy, "-o", str(out))[0] == 2
