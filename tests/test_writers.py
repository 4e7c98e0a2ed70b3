import json
import subprocess

import pysubs2
import srt

from vidcap.cues import Cue
from vidcap.decode import VideoInfo, ffmpeg_exe
from vidcap.facts import ShotFacts
from vidcap.pipeline import Result
from vidcap.shots import Shot
from vidcap.writers import get_writer, write_result

CUES = [Cue(0.0, 2.5, "A taxi."), Cue(3.04, 7.5, "A bicycle against a wall,\nin a street."),
        Cue(3725.125, 3731.0, 'A sign reads "OPEN".')]


def result():
    info = VideoInfo("film.mp4", 3740.0, 25.0, 640, 272, 0, 0.0)
    return Result(info, 3740.0, [Shot(0, 3.04), Shot(3.04, 3740.0)], [ShotFacts(), ShotFacts()],
                  CUES, {"narrator": "rules"})


def test_srt_round_trips_through_srt_and_pysubs2(tmp_path):
    path = tmp_path / "x.srt"
    write_result(result(), str(path))
    parsed = list(srt.parse(path.read_text()))
    assert [(s.start.total_seconds(), s.end.total_seconds(), s.content) for s in parsed] == \
        [(c.start, c.end, c.text) for c in CUES]
    subs = pysubs2.load(str(path))
    assert [(e.start, e.end, e.plaintext) for e in subs] == \
        [(round(c.start * 1000), round(c.end * 1000), c.text) for c in CUES]


def test_vtt_round_trips_through_pysubs2(tmp_path):
    path = tmp_path / "x.vtt"
    write_result(result(), str(path))
    assert path.read_text().startswith("WEBVTT\n")
    subs = pysubs2.load(str(path))
    assert [(e.start, e.end, e.plaintext) for e in subs] == \
        [(round(c.start * 1000), round(c.end * 1000), c.text) for c in CUES]


def test_ffmpeg_reads_both_subtitle_formats(tmp_path):
    for ext in ("srt", "vtt"):
        path = tmp_path / f"x.{ext}"
        write_result(result(), str(path))
        out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "srt", "-"],
                             capture_output=True, text=True)
        assert out.returncode == 0 and out.stderr == ""
        assert [s.content for s in srt.parse(out.stdout)] == [c.text for c in CUES]


def test_json_layout(tmp_path):
    path = tmp_path / "x.json"
    write_result(result(), str(path))
    data = json.loads(path.read_text())
    assert set(data) == {"video", "shots", "segments", "cues", "unsaid", "model"}
    assert set(data["video"]) == {"path", "duration", "fps", "width", "height"}
    assert data["shots"][1] == {"start": 3.04, "end": 3740.0, "cut": True, "facts": ShotFacts().to_dict()}
    assert data["cues"][1] == {"start": 3.04, "end": 7.5, "text": CUES[1].text}


def test_writers_by_name():
    assert [get_writer(f).extension for f in ("srt", "vtt", "json")] == ["srt", "vtt", "json"]
