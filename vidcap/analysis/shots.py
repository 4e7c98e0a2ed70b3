"""Shots stage: hard cuts and fades from PySceneDetect's detectors, fed frame by frame from the
one decode pass (no second read of the file)."""

from dataclasses import dataclass

import cv2
from scenedetect import FrameTimecode
from scenedetect.detectors import ContentDetector, ThresholdDetector

import numpy as np


@dataclass
class Shot:
    start: float
    end: float
    cut: bool = True  # False for a later part of a long take (see parts)

    def holds(self, time: float) -> bool:
        """Whether a frame at `time` belongs to this shot (times are rounded, so within 1 µs)."""
        return self.start - 1e-6 <= time < self.end - 1e-6


LONG_TAKE = 20.0  # seconds: a shot longer than this is described part by part...
PART = 10.0  # ...in parts of about this long


def parts(shots: list[Shot], longest: float = LONG_TAKE, part: float = PART) -> list[Shot]:
    """Shots longer than `longest` as equal parts of about `part` seconds: what is measured and
    said is then about each stretch, so a change within a long take (people come and go) is
    described when it happens; parts that look the same say the same and their cues merge."""
    out = []
    for shot in shots:
        length = shot.end - shot.start
        count = max(1, round(length / part)) if length > longest else 1
        bounds = np.linspace(shot.start, shot.end, count + 1)
        out += [Shot(float(a), float(b), cut=shot.cut and k == 0) for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    return out


def split_at(shots: list[Shot], times: list[float], before: float = 2.0, after: float = 1.0) -> list[Shot]:
    """Shots with a later part (no cut) beginning at each of `times` that leaves at least
    `before` seconds of the shot before it and `after` after it."""
    out = []
    for shot in shots:
        bounds = [shot.start]
        for t in sorted(t for t in times if t <= shot.end - after):
            if t - bounds[-1] >= before:
                bounds.append(t)
        bounds.append(shot.end)
        out += [Shot(a, b, cut=shot.cut and k == 0) for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    return out


def start_fades(shots: list[Shot], fades: list[tuple[float, float]], shortest: float = 0.5) -> list[Shot]:
    """A shot that is all fade out and black after it (`fades`: where each fade out starts, and
    where its black ends) beginning where the fade does: the threshold detector cuts part-way
    down or in the black, but the picture starts going when the fade starts, and that is when a
    describer says "Fade to black". A fade through black into a new picture keeps its cut."""
    out = [Shot(s.start, s.end, s.cut) for s in shots]
    for before, after in zip(out, out[1:]):
        start = next((a for a, b in fades if a < after.start <= b + 1e-6 and b >= after.end - 1e-6), None)
        if start is not None and start - before.start >= shortest:
            before.end = after.start = start
    return out


@dataclass(frozen=True)
class ShotSettings:
    cut_threshold: float = 27.0  # ContentDetector's HSV change score for a hard cut
    fade_threshold: int = 12  # ThresholdDetector's 8-bit level for a fade to or from black
    min_shot: float = 0.5  # seconds; shorter flashes merge into their neighbour
    detect_width: int = 128  # frames are shrunk to this width first, as SceneManager does (the same
    # cuts as at 256 on all 16 sample and dev clips, in half the time)


def shrink(image: np.ndarray, width: int = ShotSettings.detect_width) -> np.ndarray:
    if image.shape[1] <= width:
        return image
    height = max(2, round(image.shape[0] * width / image.shape[1]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)


class ShotDetector:
    """Push frames in decode order; `cuts` holds the times where a new shot begins."""

    def __init__(self, fps: float, settings: ShotSettings = ShotSettings()):
        self.fps = fps
        self.settings = settings
        self.detectors = [
            ContentDetector(threshold=settings.cut_threshold, min_scene_len=settings.min_shot),
            # The cut goes where the picture comes back, not mid-black: a title card on black is
            # then one shot, not two.
            ThresholdDetector(threshold=settings.fade_threshold, min_scene_len=settings.min_shot,
                              fade_bias=1.0),
        ]
        self.cuts: list[float] = []
        self.last_time = 0.0

    def push(self, time: float, small: np.ndarray) -> bool:
        """Feed one frame, shrunk by `shrink`; True when a cut was found at this frame."""
        timecode = FrameTimecode(float(time), self.fps)
        found = [c.seconds for d in self.detectors for c in d.process_frame(timecode, small)]
        self.last_time = time
        self._add(found)
        return any(abs(t - time) < 1e-6 for t in found)

    def _add(self, times):
        for t in times:
            if t > 0 and all(abs(t - c) >= self.settings.min_shot for c in self.cuts):
                self.cuts.append(t)
        self.cuts.sort()

    def finish(self, duration: float) -> list[Shot]:
        timecode = FrameTimecode(float(self.last_time), self.fps)
        self._add(c.seconds for d in self.detectors for c in d.post_process(timecode))
        bounds = [0.0] + [c for c in self.cuts if c < duration] + [duration]
        return [Shot(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]
