"""People: faces from OpenCV's bundled Haar cascade (offline, no identity, age or gender)."""

from functools import lru_cache

import cv2
import numpy as np


@lru_cache(maxsize=1)
def _face_cascade() -> cv2.CascadeClassifier:
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise RuntimeError("OpenCV's Haar face cascade is missing (opencv-python 4.x ships it)")
    return cascade


def find_faces(gray: np.ndarray, min_size: int = 16) -> list[tuple[int, int, int, int]]:
    """Frontal faces as (x, y, w, h) boxes in a small (about 256 wide) grayscale frame."""
    faces = _face_cascade().detectMultiScale(gray, scaleFactor=1.2, minNeighbors=4,
                                             minSize=(min_size, min_size))
    return [tuple(int(v) for v in f) for f in faces]


def describe_people(face_counts: np.ndarray, face_heights: np.ndarray) -> dict:
    """Per shot: how many people are visible and how big, from per-frame face counts and the
    largest face's height as a share of the frame height."""
    if not len(face_counts):
        return {"count": 0, "framing": None, "confidence": 0.0}
    seen = face_counts > 0
    confidence = float(seen.mean())
    if confidence < 0.3:  # faces in too few frames to trust
        return {"count": 0, "framing": None, "confidence": round(1 - confidence, 2)}
    count = int(np.median(face_counts[seen]))
    height = float(np.median(face_heights[seen]))
    framing = ("crowd" if count >= 4 else "close-up" if height >= 0.3 and count == 1
               else "group" if count >= 2 else "person")
    return {"count": count, "framing": framing, "face_height": round(height, 2),
            "confidence": round(confidence, 2)}
