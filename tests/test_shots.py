import pytest

from conftest import CUTS
from vidcap.analysis.decode import iter_frames, probe
from vidcap.analysis.shots import Shot, ShotDetector, shrink, start_fades


def detect(path):
    info = probe(path)
    detector = ShotDetector(info.fps)
    for frame in iter_frames(info):
        detector.push(frame.time, shrink(frame.image))
    return detector.finish(info.duration)


def test_hard_cuts_within_one_frame(clips):
    shots = detect(clips["cuts.mp4"])
    assert [s.start for s in shots[1:]] == pytest.approx(CUTS, abs=0.04 + 1e-6)
    assert shots[0].start == 0 and shots[-1].end == pytest.approx(6.5, abs=0.05)
    assert all(a.end == b.start for a, b in zip(shots, shots[1:]))


def test_fade_through_black_is_one_cut(clips):
    shots = detect(clips["fade.mp4"])
    assert [s.start for s in shots[1:]] == pytest.approx([3.0], abs=0.5)


def test_a_shot_of_fade_and_black_starts_where_the_fade_does():
    shots = [Shot(0, 6.9), Shot(6.9, 8.0)]  # the detector cut in the black; the fade began at 6.4
    assert [(s.start, s.end) for s in start_fades(shots, [(6.4, 8.0)])] == [(0, 6.4), (6.4, 8.0)]
    assert shots[0].end == 6.9  # not changed in place
    through = [Shot(0, 3.0), Shot(3.0, 6.0)]  # out of one picture, through black, into the next
    assert [(s.start, s.end) for s in start_fades(through, [(2.5, 3.1)])] == [(0, 3.0), (3.0, 6.0)]


def test_real_clips(real):
    assert [s.start for s in detect(real["bikes"])[1:]] == pytest.approx(
        [1.20, 3.04, 5.48, 7.48, 9.68], abs=0.04)
    assert len(detect(real["bigbuckbunny"])) == 1
    assert len(detect(real["carphone_pristine"])) == 1


def test_a_long_take_is_described_in_parts():
    from vidcap.analysis.shots import Shot, parts

    split = parts([Shot(0, 4), Shot(4, 84), Shot(84, 100)])
    assert [(s.start, s.end, s.cut) for s in split[:3]] == [(0, 4, True), (4, 14, True), (14, 24, False)]
    assert len(split) == 1 + 8 + 1 and split[-2].end == 84 and split[-1].cut


def test_a_long_take_counts_as_one_shot():
    from vidcap.pipeline import Result
    from vidcap.analysis.shots import Shot, parts

    result = Result(None, 84, parts([Shot(0, 4), Shot(4, 84)]), [], [])
    assert len(result.shots) == 9 and result.shot_count == 2


def test_a_shot_is_split_where_text_comes_on():
    from vidcap.analysis.shots import Shot, split_at

    split = split_at([Shot(0, 15), Shot(15, 20)], [13.0, 15.5, 19.5])
    assert [(s.start, s.end, s.cut) for s in split] == [(0, 13.0, True), (13.0, 15, False), (15, 20, True)]
