"""Technical segments, as cloud video services report them: black frames, fades to and from
black, colour bars (plain screens and end credits need more findings: see facts.py); and the
black bars of a letterboxed or pillarboxed picture."""

import cv2
import numpy as np

BLACK_LUMA = 20.0  # mean 8-bit luma of a black frame...
BLACK_SPREAD = 10.0  # ...whose pixels hardly vary
# A plain screen (a slate, a blank card): a frame brighter than black whose luma varies by less
# than this (standard deviation). Shot medians on the samples and dev set: thanks' slate 2.6, the
# generated samples' blue cards 0-0.2; every other shot 12 and more (plain walls behind a face too).
PLAIN_SPREAD = 6.0
MIN_FADE_FRAMES = 5
BAR_LUMA = 24  # no pixel of a bar's row or column is brighter
MIN_PICTURE = 0.4  # a frame that would keep less than this of a side is dark, not boxed


def without_bars(image: np.ndarray) -> np.ndarray:
    """The picture inside black bars (letterbox, pillarbox), as a view of the BGR frame; the frame
    itself when it has none or is too dark to tell. What looks at the picture (faces, objects, the
    CNN) sees it at its true shape, and wide enough pictures are then read as tiles."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    rows = np.flatnonzero(cv2.reduce(gray, 1, cv2.REDUCE_MAX).ravel() > BAR_LUMA)
    cols = np.flatnonzero(cv2.reduce(gray, 0, cv2.REDUCE_MAX).ravel() > BAR_LUMA)
    h, w = gray.shape
    if not len(rows) or rows[-1] - rows[0] + 1 < MIN_PICTURE * h or cols[-1] - cols[0] + 1 < MIN_PICTURE * w:
        return image
    return image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def black_segments(times: np.ndarray, luma: np.ndarray, spread: np.ndarray, end: float) -> list[dict]:
    """Runs of black frames as {"start", "end"}, the end being the first non-black frame's time."""
    black = (luma < BLACK_LUMA) & (spread < BLACK_SPREAD)
    segments, start = [], None
    for i, is_black in enumerate(black):
        if is_black and start is None:
            start = i
        elif not is_black and start is not None:
            segments.append((start, i))
            start = None
    if start is not None:
        segments.append((start, len(black)))
    return [{"start": float(times[a]), "end": float(times[b]) if b < len(times) else end,
             "first": a, "stop": b} for a, b in segments]


def fades(times: np.ndarray, luma: np.ndarray, blacks: list[dict]) -> list[dict]:
    """Fades out into and in from each black segment: luma falling at every frame to black, or
    rising at every frame from it, over at least MIN_FADE_FRAMES frames. A hard cut from a still
    to black is no fade."""
    found = []
    for seg in blacks:
        i = seg["first"]
        while i > 0 and luma[i - 1] > luma[i] + 0.5:  # each earlier frame brighter: not a still
            i -= 1
        if seg["first"] - i >= MIN_FADE_FRAMES:
            found.append({"type": "fade out", "start": float(times[i]), "end": seg["start"]})
        j = seg["stop"]
        while j + 1 < len(luma) and luma[j + 1] > luma[j] + 0.5:
            j += 1
        if j - seg["stop"] >= MIN_FADE_FRAMES:
            found.append({"type": "fade in", "start": seg["end"], "end": float(times[j])})
    return found


def is_colour_bars(image: np.ndarray) -> bool:
    """SMPTE/EBU-style bars: the upper part is vertical stripes of saturated, distinct colours."""
    h, w = image.shape[:2]
    top = image[: int(h * 0.6)].astype(np.float32)
    if top.std(axis=0).mean() > 12:  # columns must not change from row to row
        return False
    row = top.mean(axis=0)  # (w, 3)
    blocks = np.array_split(row, 7)
    colours = np.array([b.mean(axis=0) for b in blocks])
    if max(b.std(axis=0).max() for b in blocks) > 40:
        return False
    distinct = min(np.linalg.norm(colours[i] - colours[i + 1]) for i in range(6))
    saturation = (colours.max(axis=1) - colours.min(axis=1)).mean()
    return distinct > 30 and saturation > 60
