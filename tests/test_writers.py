import io
import json
import subprocess

import pysubs2
import srt
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from vidcap.narration.cues import Cue
from vidcap.analysis.decode import VideoInfo, ffmpeg_exe
from vidcap.analysis.facts import ShotFacts
from vidcap.pipeline import Result
from vidcap.analysis.shots import Shot
from vidcap.narration.writers import get_writer, vtt_time, write_result

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


NASTY = ["-->", "<b>", "</b>", "</c>", "{\\an8}", "&", "&amp;", "<i>x</i>", "\n", "\n\n", "\r\n", " \n 12\n", "1", "WEBVTT"]
cue_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(st.characters(blacklist_categories=("Cs", "Cc")),
                                                                max_size=6)), min_size=1, max_size=8)


def nasty_result(texts: list[str]) -> Result:
    info = VideoInfo("film.mp4", 100.0, 25.0, 640, 272, 0, 0.0)
    cues = [Cue(2.0 * i, 2.0 * i + 1.5, t) for i, t in enumerate(texts)]
    return Result(info, 100.0, [Shot(0, 100.0)], [ShotFacts()], cues, {"narrator": "rules"})


@settings(max_examples=150, deadline=None)
@given(st.lists(cue_text.map("".join).filter(lambda t: t.strip()), min_size=1, max_size=4))
def test_text_off_the_picture_cannot_break_or_style_the_subtitles(texts):
    """Issue 12: OCR text with "-->", tags, ASS overrides, "&", blank lines or a lone number keeps
    every cue whole and its timing, through srt, webvtt-py and pysubs2, and styles nothing."""
    result = nasty_result(texts)
    timings = [(round(c.start * 1000), round(c.end * 1000)) for c in result.cues]
    lines = lambda t: [line.strip() for line in t.splitlines() if line.strip()]
    srt_text = get_writer("srt").format(result)
    parsed = list(srt.parse(srt_text))
    assert [(round(s.start.total_seconds() * 1000), round(s.end.total_seconds() * 1000)) for s in parsed] == timings
    for subtitle, text in zip(parsed, texts):
        assert not set("<>{}") & set(subtitle.content)
        assert len(subtitle.content.splitlines()) == len(lines(text))
    captions = webvtt.from_buffer(io.StringIO(get_writer("vtt").format(result)))
    assert [(c.start, c.end) for c in captions] == [(vtt_time(c.start), vtt_time(c.end)) for c in result.cues]
    for caption, text in zip(captions, texts):
        assert not set("<>{}") & set(caption.text) and len(caption.text.splitlines()) == len(lines(text))
    for fmt in ("srt", "vtt"):
        subs = pysubs2.SSAFile.from_string(get_writer(fmt).format(result), format_=fmt)
        assert [(e.start, e.end) for e in subs] == timings
        assert all("{" not in e.text for e in subs)  # pysubs2 turns tags and overrides into {...} blocks


def test_ffmpeg_reads_nasty_text_as_the_cues_it_is(tmp_path):
    texts = ["A sign reads \"--> <b>SALE</b> {\\an8} & more\".", "12\n\n\n34", "WEBVTT\n-->"]
    for ext in ("srt", "vtt"):
        path = tmp_path / f"x.{ext}"
        write_result(nasty_result(texts), str(path))
        out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "srt", "-"],
                             capture_output=True, text=True)
        assert out.returncode == 0 and out.stderr == ""
        back = list(srt.parse(out.stdout))
        assert [round(s.start.total_seconds(), 2) for s in back] == [0.0, 2.0, 4.0]
        # SRT shows lookalikes; WebVTT's escapes come back as the very text that was read
        assert ("‹b›SALE‹/b›" if ext == "srt" else "<b>SALE</b>") in back[0].content
