"""People: faces from BlazeFace full-range, the face detector whose model ships inside the
mediapipe wheel (offline; no identity, age or gender). It finds the small and turned faces of
film (a cyclist in traffic) that OpenCV's frontal Haar cascade misses."""

import os
import warnings
from functools import lru_cache

import cv2
import numpy as np

# mediapipe 0.10.14 calls a protobuf API that protobuf 4.25 warns about on every frame.
warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)


@lru_cache(maxsize=1)
def _detector():
    """The detector, started (graph and first inference) with file descriptor 2 pointed at
    /dev/null: mediapipe's C++ side logs start-up chatter there that Python cannot silence."""
    from mediapipe.python.solutions import face_detection

    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        detector = face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5)
        detector.process(np.zeros((64, 64, 3), np.uint8))
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    return detector


def find_faces(image: np.ndarray) -> list[tuple[float, float, float, float, float]]:
    """Faces in a BGR frame as (x, y, w, h, turn): boxes in frame fractions, and how far the
    head is turned from the camera: the nose tip's offset from the midpoint of the eyes, in eye
    spans (0 facing the camera; a three-quarter view about 0.3 and more)."""
    height, width = image.shape[:2]
    found = _detector().process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).detections or []
    faces = []
    for detection in found:
        box = detection.location_data.relative_bounding_box
        right_eye, left_eye, nose = detection.location_data.relative_keypoints[:3]
        span = abs(left_eye.x - right_eye.x) * width
        turn = abs(nose.x * width - (left_eye.x + right_eye.x) / 2 * width) / max(span, 1.0)
        faces.append((box.xmin, box.ymin, box.width, box.height, turn))
    return faces


CROWD = 10  # people at once; fewer are "two", "three" or "several people"


WHOLE_BODY = 0.6  # a walker's box is shorter than this share of the frame (vtest's: 0.1-0.3); a moving
# box taller than that is an arm or a body too close to see its steps (cup.mp4's hand turning a bottle)


def add_bodies(people: dict, persons: dict | None, static: bool) -> dict:
    """People from faces (describe_people) and from the detector's person boxes (`persons`,
    a describe_objects entry) together: someone seen from behind or too small for a face still
    counts. Where people found by their bodies move on a still camera, whole, they are walking
    (vtest: people crossing a path seen from high above)."""
    if not persons or persons["count"] <= people.get("count", 0):
        return people
    count = persons["count"]
    framing = "crowd" if count >= CROWD else "group" if count >= 2 else "person"
    found = {**people, "count": count, "framing": framing, "where": persons["where"], "from": "bodies"}
    if persons.get("moving") and static and people.get("framing") != "close-up" \
            and persons.get("height", 0) < WHOLE_BODY:
        found["action"] = "walking"
    return found


FACING = 0.25  # face turn (find_faces) below which a head faces the camera. Measured once a second:
# cap12's talking head 0.01-0.22, franck's 0.0-0.27 (his head a little turned from 100 s on: 0.15-0.2),
# Megamind's man in close-up 0.05-0.13; the woman looking across the table 0.22-0.5


def describe_people(face_counts: np.ndarray, face_heights: np.ndarray, face_turns: np.ndarray | None = None) -> dict:
    """Per shot: how many people are visible and how big, from per-frame face counts and the
    largest face's height as a share of the frame height; for a close-up, whether the face
    looks at the camera (the largest face's turn, per frame)."""
    if not len(face_counts):
        return {"count": 0, "framing": None, "confidence": 0.0}
    seen = face_counts > 0
    confidence = float(seen.mean())
    # People come and go within a shot, and BlazeFace rarely sees a face where there is none, so
    # a face in one sampled frame in five is enough.
    if confidence < 0.2:
        return {"count": 0, "framing": None, "confidence": round(1 - confidence, 2)}
    count = int(np.median(face_counts[seen]))
    # Better to under-count than to invent a person: where the shot gave BlazeFace several
    # looks, a count above one must show in two of them (on bikes, a poster scored as a face
    # beside the cyclist in one frame of five).
    if len(face_counts) >= 3:
        while count > 1 and (face_counts >= count).sum() < 2:
            count -= 1
    height = float(np.median(face_heights[seen]))
    framing = ("crowd" if count >= CROWD else "close-up" if height >= 0.3 and count == 1
               else "group" if count >= 2 else "person")
    people = {"count": count, "framing": framing, "face_height": round(height, 2), "confidence": round(confidence, 2)}
    if framing == "close-up" and face_turns is not None:
        people["facing"] = bool(np.median(face_turns[seen]) < FACING)
    return people
