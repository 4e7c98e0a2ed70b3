"""Issue 11: a long film is analysed in stretches between keyframes, in parallel processes when
asked; the result must not depend on how many."""

from dataclasses import replace

import numpy as np
import pytest

from vidcap.learning import synth
from vidcap.pipeline import Options, analyse, describe_video, segment_borders
from vidcap.analysis.decode import probe


@pytest.fixture(scope="module")
def bordered(tmp_path_factory):
    """12 s: cuts at 4 s (a stretch border) and 10 s; keyframes at 4 and 8 s, so with stretches
    of 4 s the border at 8 s falls inside the shot from 4 to 10 s."""
    path = str(tmp_path_factory.mktemp("segments") / "bordered.mp4")
    synth.make_cuts_video(path, [4.0, 6.0, 2.0], codec_args=["-preset", "veryfast", "-force_key_frames", "4,8"])
    return path


def shots_of(analysis):
    return [(round(s.start, 3), round(s.end, 3)) for s in analysis.shots]


def same_analysis(a, b):
    assert shots_of(a) == shots_of(b)
    assert np.array_equal(a.times, b.times) and np.array_equal(np.asarray(a.features), np.asarray(b.features))
    assert np.array_equal(a.concepts, b.concepts) and np.array_equal(a.brightness, b.brightness)
    assert a.measures.keys() == b.measures.keys()
    for name in a.measures:
        assert np.array_equal(a.measures[name], b.measures[name], equal_nan=True), name
    assert (a.ocr, a.objects, a.thumbnails) == (b.ocr, b.objects, b.thumbnails)


def test_stretches_in_parallel_give_the_serial_analysis(bordered):
    assert segment_borders(probe(bordered), 4.0) == [0.0, 4.0, 8.0]
    serial = analyse(bordered, Options(use_cache=False, segment_seconds=4.0))
    parallel = analyse(bordered, Options(use_cache=False, segment_seconds=4.0, analysis_workers=3))
    same_analysis(serial, parallel)
    # The cut on a border is found, and a border inside a shot cuts nothing.
    whole = analyse(bordered, Options(use_cache=False))
    assert shots_of(serial) == shots_of(whole) == [(0.0, 4.0), (4.0, 10.0), (10.0, 12.0)]


def test_stretches_count_from_the_container_start(bordered, tmp_path):
    """A stretch is decoded with the file's own timestamps (-copyts): a start offset is taken off."""
    offset = str(tmp_path / "offset.mp4")
    synth.remux(bordered, offset, start=2.5)
    analysis = analyse(offset, Options(use_cache=False, segment_seconds=4.0))
    assert shots_of(analysis) == [(0.0, 4.0), (4.0, 10.0), (10.0, 12.0)] and analysis.times.max() < 12


def test_a_sample_described_in_parallel_says_what_it_says_serially(real):
    options = Options(use_cache=False, narrator="rules", segment_seconds=3.0)
    assert len(segment_borders(probe(real["bikes"]), 3.0)) == 3
    serial = describe_video(real["bikes"], options)
    parallel = describe_video(real["bikes"], replace(options, analysis_workers=2))
    assert parallel.to_dict()["shots"] == serial.to_dict()["shots"]
    assert [(c.start, c.end, c.text) for c in parallel.cues] == [(c.start, c.end, c.text) for c in serial.cues]


def test_keyframes_come_from_packet_flags(tmp_path):
    """VP9 and GIF decoders ignore "decode only keyframes" and showed every frame as one; the
    packets' key flags do not."""
    from vidcap.analysis.decode import keyframe_times

    path = str(tmp_path / "gop.webm")
    synth.run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=3", "-c:v", "libvpx-vp9",
                      "-deadline", "realtime", "-g", "10", "-keyint_min", "10", path])
    assert keyframe_times(probe(path)) == pytest.approx([0.0, 1.0, 2.0])


def test_the_bench_counts_the_memory_of_every_process_of_the_job():
    """Analysis workers and their ffmpegs run at once: the largest alone under-reports the job
    (2 workers on the bench film: 743 MiB alone, 1,488 MiB together)."""
    import os
    import subprocess
    import sys
    import time

    from vidcap.bench.film import tree_rss_mib

    alone = tree_rss_mib(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "x = bytearray(300 << 20); x[::4096] = b'1' * len(x[::4096]); "
                              "import time; time.sleep(30)"])
    try:
        time.sleep(3)
        assert tree_rss_mib(os.getpid()) >= alone + 250
    finally:
        child.kill()
        child.wait()
