"""Everything measured on frames during the one decode pass, besides shots and CNN features:
per decoded frame, luma statistics (black frames, fades); per sampled frame (its picture
without black bars: technical.without_bars), faces, camera motion, colour, colour bars, small
shapes on a plain backdrop and a text check, faces only when the frame has changed since the
last one analysed and at most once a second; objects (a COCO detector) on a sampled frame
at most every `object_gap` seconds and on each shot's first; and OCR on the frame most likely to
hold text in each stretch of up to `ocr_window` seconds of a shot, so that reading costs little
(and on a second, different-looking one where what it read is not plainly words)."""

import json
from array import array
from collections import deque
from dataclasses import dataclass, field

import cv2
import numpy as np

from ...timing import timed
from .motion import global_motion
from .objects import SEEN, detect_objects
from .people import HAND_PERSON, clothes_colour, find_faces, find_hands, read_face
from .setting import COLOUR_SHARES, colour_shares, colour_stats, measure_frame, night_measures, thumbnail_hsv
from .shapes import small_shapes
from .technical import is_colour_bars
from .text import colour_text_candidates, plainly_words, read_text, text_candidates, trim_heap

MOTION_GAP = 3  # frames between the two frames that motion is measured on
# Sampling by change: a sampled frame that differs from the last one analysed by less than
# STILL_DIFF grey levels (mean over a 64x36 thumbnail) reuses its faces, objects and CNN
# features, for at most MAX_STILL seconds. Measured 0.5 s apart: a talking head 0.6-2 (franck,
# cap12), walkers seen from afar 2.2-4.8 (vtest), a hand turning a box 8, camera moves 12 and more.
STILL_DIFF = 3.0
MAX_STILL = 4.0
# Faces are looked for on a changed frame at most every FACE_GAP seconds (and on each shot's
# first), as objects are; frames between reuse the last look. Against every changed sampled frame
# (2 a second): BlazeFace 11.5 s -> 8.0 s on the 10-minute bench film, the same cues on the dev set
# and samples (Megamind's second shot no longer backs "facing the camera", which it never said).
FACE_GAP = 1.0
# Thumbnails for the review page (writers.HtmlWriter): a small JPEG of the frame objects are looked
# for on, at each shot's first look and then at most every THUMB_GAP seconds (a 2-hour film: about
# 2,000 of 4 KB), so the boxes drawn on one are the detections of that very frame.
THUMB_WIDTH = 192
THUMB_GAP = 10.0

# Measured per sampled frame; colour_shares is COLOUR_SHARES values a frame, the rest one each.
SAMPLED = ("faces", "face_height", "face_turn", "dx", "dy", "zoom", "moving", "sky", "green", "water",
           "glare", "night_sky", "lights", "lines", "text_chars", "bars", "clothes", "smile", "mouth", "bridge", "shapes", "shapes_dark",
           "colour_shares")


@dataclass
class FrameObserver:
    ocr_window: float = 4.0
    object_gap: float = 1.0
    face_gap: float = FACE_GAP
    still_diff: float = STILL_DIFF
    # [{"time", "boxes": [[class, score, x, y, w, h]], "hands"?: [[x, y, w, h, at face]], "reused"?}]:
    # hands are looked for where a person box stands HAND_PERSON tall
    objects: list = field(default_factory=list)
    # Per decoded frame, as packed numbers: a 24-hour film at 24 fps has 2 million frames, which as
    # lists of Python floats would take about 190 MB, and as arrays 32 MB.
    every: dict = field(default_factory=lambda: {"time": array("d"), "luma": array("f"), "spread": array("f")})
    sampled: dict = field(default_factory=lambda: {k: array("f") for k in SAMPLED})
    ocr: list = field(default_factory=list)  # [{"time", "lines": [...]}]
    thumbnails: list = field(default_factory=list)  # [(time, JPEG bytes)]
    seconds: dict = field(default_factory=dict)  # per stage (timing.timed)
    _recent: deque = field(default_factory=lambda: deque(maxlen=MOTION_GAP + 1))
    _window: dict = field(default_factory=dict)
    _analysed: tuple = ()  # (time, thumbnail, faces, smile, mouth, bridge) of the last sampled frame analysed afresh
    _faces: tuple = ()  # (time, faces, read_face of the largest) of the last look for faces

    def add(self, time: float, image: np.ndarray, small: np.ndarray, sampled: bool, new_shot: bool) -> bool:
        """Measure a decoded frame; returns whether a sampled frame was analysed afresh (False:
        it looks like the last one analysed, whose results it reuses; and for unsampled frames)."""
        with timed(self.seconds, "luma"):
            small_gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
            mean, std = cv2.meanStdDev(small_gray)
        self.every["time"].append(time)
        self.every["luma"].append(float(mean[0, 0]))
        self.every["spread"].append(float(std[0, 0]))
        if new_shot:
            self._recent.clear()
            self.flush_ocr()
        self._recent.append((time, small_gray))
        if not sampled:
            return False
        thumbnail = cv2.resize(small_gray, (64, 36), interpolation=cv2.INTER_AREA).astype(np.float32)
        fresh = new_shot or not self._analysed or time - self._analysed[0] >= MAX_STILL - 1e-6 \
            or float(np.abs(thumbnail - self._analysed[1]).mean()) >= self.still_diff
        if fresh:
            if new_shot or not self._analysed or time - self._faces[0] >= self.face_gap - 1e-6:
                with timed(self.seconds, "faces"):
                    faces = find_faces(image)
                    read = read_face(image, max(faces, key=lambda f: f[3])) if faces else (np.nan,) * 3
                    self._faces = (time, faces, *read)
            self._analysed = (time, thumbnail, *self._faces[1:])
        self._sample(time, image, small, thumbnail, *self._analysed[2:])
        if new_shot or not self.objects or time - self.objects[-1]["time"] >= self.object_gap - 1e-6:
            if fresh:
                with timed(self.seconds, "objects"):
                    boxes = np.round(detect_objects(image), 3).tolist()
                look = {"time": time, "boxes": boxes}
                if any(b[0] == 0 and b[1] >= SEEN and b[5] >= HAND_PERSON for b in boxes):
                    with timed(self.seconds, "hands"):
                        look["hands"] = np.round(find_hands(image, self._faces[1]), 3).tolist()
                self.objects.append(look)
                if new_shot or not self.thumbnails or time - self.thumbnails[-1][0] >= THUMB_GAP - 1e-6:
                    self.thumbnails.append((time, thumbnail_jpeg(image)))
            else:  # what the last look saw is still there; it is not a new look at where things moved
                self.objects.append({**self.objects[-1], "time": time, "reused": True})
        return fresh

    def _sample(self, time, image, small, thumbnail, faces, smile, mouth, bridge):
        with timed(self.seconds, "motion"):
            if len(self._recent) > MOTION_GAP:
                (t0, before), (t1, after) = self._recent[0], self._recent[-1]
                motion = global_motion(before, after, t1 - t0)
            else:
                motion = (np.nan,) * 4
        with timed(self.seconds, "text check"):
            gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            looks = {"edges": text_candidates(gray), "colour": colour_text_candidates(image)}
            chars = sum(b[4] for boxes in looks.values() for b in boxes)
        with timed(self.seconds, "colour, setting"):
            hsv = thumbnail_hsv(image)  # the picture: black bars are no colour of it
            measured = measure_frame(image)
            setting = [*colour_stats(hsv), *night_measures(measured), chars, is_colour_bars(small), colour_shares(hsv)]
            shapes = small_shapes(measured, hsv)
        largest = max(faces, key=lambda f: f[3], default=(0, 0, 0, 0, np.nan))
        with timed(self.seconds, "faces"):
            clothes = clothes_colour(image, largest) if faces else np.nan
        values = [len(faces), largest[3], largest[4], *motion, *setting[:-1], clothes, smile, mouth, bridge, *shapes, setting[-1]]
        for key, value in zip(SAMPLED, values):
            if key == "colour_shares":
                self.sampled[key].extend(value)
            else:
                self.sampled[key].append(value)
        if self._window and time - self._window["start"] >= self.ocr_window:
            self.flush_ocr()
        if not self._window:
            self._window = {"start": time}
        # The likeliest frame for each look is read: a frame full of edge-like false candidates
        # must not hide the one where coloured letters stand. The likeliest of those that look
        # different from it is kept too (_best_two).
        for look, boxes in looks.items():
            count = sum(b[4] for b in boxes)
            kept = self._window.get(look, [])
            if count and (len(kept) < 2 or count > kept[-1][0]):
                kept = _best_two(kept + [(count, time, None, boxes, thumbnail)], self.still_diff)
                self._window[look] = [(c, t, image.copy() if i is None else i, b, th) for c, t, i, b, th in kept]

    def flush_ocr(self):
        """Reads the window's likeliest frame for text; where a line read there is not plainly
        words (a name, a rare word, a misreading), the likeliest frame that looks different too:
        a line read alike in two different pictures of it is shown (text.spelled). A title that
        grows or moves is read twice; a still one, whose second picture would be the same, once."""
        for rank in (0, 1):
            frames = {}
            for look in ("edges", "colour"):
                if len(self._window.get(look, [])) > rank:
                    _, time, image, boxes, _ = self._window[look][rank]
                    frames.setdefault(time, (image, []))[1].extend(boxes)
            read = []
            for time, (image, boxes) in sorted(frames.items(), key=lambda item: item[0]):
                with timed(self.seconds, "ocr"):
                    read.append({"time": time, "lines": read_text(image, boxes)})
                    trim_heap()
            self.ocr += read
            if all(plainly_words(line["text"]) for entry in read for line in entry["lines"]):
                break
        self._window = {}

    def arrays(self) -> dict:
        self.flush_ocr()
        out = {f"every_{k}": np.frombuffer(v, np.float64 if k == "time" else np.float32).copy()
               for k, v in self.every.items()}
        out.update({k: np.frombuffer(v, np.float32).copy() for k, v in self.sampled.items()})
        out["colour_shares"] = out["colour_shares"].reshape(-1, COLOUR_SHARES)  # (0, n), not (0,), when empty
        out["ocr"] = np.array(json.dumps(self.ocr))
        out["thumb_times"] = np.array([t for t, _ in self.thumbnails], np.float64)
        out["thumb_sizes"] = np.array([len(j) for _, j in self.thumbnails], np.int64)
        out["thumb_jpegs"] = np.frombuffer(b"".join(j for _, j in self.thumbnails), np.uint8)
        out["objects"] = np.array(json.dumps(self.objects))
        return out


def _best_two(frames: list[tuple], differ: float) -> list[tuple]:
    """Of a window's candidate frames for OCR, (count, time, image, boxes, 64x36 grey thumbnail),
    the likeliest to hold text (`count`), then the likeliest of those whose thumbnail differs
    from its by `differ` grey levels on average: another picture of the text, if any."""
    ranked = sorted(frames, key=lambda f: -f[0])
    other = next((f for f in ranked[1:] if float(np.abs(f[4] - ranked[0][4]).mean()) >= differ), None)
    return ranked[:1] + ([other] if other else [])


def thumbnail_jpeg(image: np.ndarray) -> bytes:
    height = max(2, round(image.shape[0] * THUMB_WIDTH / image.shape[1]))
    small = cv2.resize(image, (THUMB_WIDTH, height), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes()


def split_thumbnails(times: np.ndarray, sizes: np.ndarray, jpegs: np.ndarray) -> list[tuple[float, bytes]]:
    """FrameObserver.arrays()'s thumbnails back as [(time, JPEG bytes)]."""
    ends = np.cumsum(sizes)
    return [(float(t), jpegs[end - size:end].tobytes()) for t, size, end in zip(times, sizes, ends)]
