"""People: faces from BlazeFace full-range, the face detector whose model ships inside the
mediapipe wheel (offline; no identity, age or gender). It finds the small and turned faces of
film (a cyclist in traffic) that OpenCV's frontal Haar cascade misses."""

import os
import warnings
from functools import lru_cache

import cv2
import numpy as np

from .objects import intersection
from .setting import COLOUR_NAMES, colour_labels

# mediapipe 0.10.14 calls a protobuf API that protobuf 4.25 warns about on every frame.
warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)


def _started(make):
    """A mediapipe solution made by `make` and run once (graph and first inference) with file
    descriptor 2 pointed at /dev/null: mediapipe's C++ side logs start-up chatter there that
    Python cannot silence."""
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 2)
        solution = make()
        solution.process(np.zeros((64, 64, 3), np.uint8))
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    return solution


@lru_cache(maxsize=1)
def _detector():
    from mediapipe.python.solutions import face_detection

    return _started(lambda: face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.5))


@lru_cache(maxsize=1)
def _hands():
    from mediapipe.python.solutions import hands

    return _started(lambda: hands.Hands(static_image_mode=True, max_num_hands=2, model_complexity=0,
                                        min_detection_confidence=0.5))


HAND_PERSON = 0.3  # hands are looked for where a person box is at least this tall (a share of the frame)


def find_hands(image: np.ndarray, faces: list[tuple]) -> list[tuple[float, float, float, float, bool]]:
    """Hands in a BGR frame (MediaPipe's palm detector and hand landmarks; the models ship in
    the mediapipe wheel) as (x, y, w, h, at_face): the box of each hand's 21 landmarks in frame
    fractions, and whether it touches or nearly touches a face of `faces` (find_faces boxes):
    within a quarter of the face's height of it."""
    found = _hands().process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB)).multi_hand_landmarks or []
    out = []
    for hand in found:
        xs, ys = [p.x for p in hand.landmark], [p.y for p in hand.landmark]
        x, y, w, h = min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
        at_face = any(intersection((x, y, w, h), (fx - fh / 4, fy - fh / 4, fw + fh / 2, fh + fh / 2)) > 0
                      for fx, fy, fw, fh, *_ in faces)
        out.append((x, y, w, h, at_face))
    return out


def describe_hands(looks: list[list], face_counts: np.ndarray, reused: list[bool] | None = None) -> dict | None:
    """A shot's hands from its object looks' hands (find_hands, [] where none were seen or
    none looked for; `reused`: looks that copy a still frame's last look, no evidence of their
    own): seen in two fresh looks and a third of them, how many (median), and whether one is at
    the face in most of those looks. With no face in the shot, and hands in half its looks, the
    hands are what shows of the person ("alone": cup's hand turning a bottle).
    Measured once a second on the dev set: WolfgangLanger's hands over her mouth and eyes in 6 of
    20 looks, cap12's hand to his chin in 8 of 10 from 44 s, cup's hand in 9 of 9; franck's 2 of
    200 (nothing there; in the bench film one such look, copied by six still frames after it, was
    "raises a hand to the face") and a paw of the trailer's rabbit in 1 of 8 and 1 of 4: not seen."""
    fresh = [hands for hands, copy in zip(looks, reused or [False] * len(looks)) if not copy]
    seen = [hands for hands in fresh if hands]
    if len(seen) < 2 or 3 * len(seen) < len(fresh):
        return None
    return {"count": int(np.median([len(h) for h in seen])),
            "at_face": 2 * sum(any(h[4] for h in hands) for hands in seen) > len(seen),
            "alone": not (face_counts > 0).any() and 2 * len(seen) >= len(fresh)}


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


@lru_cache(maxsize=1)
def _mesh():
    """MediaPipe's face mesh: 468 landmarks; its model ships in the mediapipe wheel."""
    from mediapipe.python.solutions import face_mesh

    return _started(lambda: face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1, min_detection_confidence=0.5))


MESH_FACE = 0.12  # faces at least this share of the frame's height are read for a smile: a medium shot or closer
MOUTH_CORNERS, LIPS, EYE_CORNERS = (61, 291), (13, 14), (33, 263)  # face mesh landmark indices
INNER_EYES, BROWS_MIDDLE, NOSE_BRIDGE = (133, 362), 168, 6
# A broad smile or a laugh: a mouth at least this wide (eye corner to eye corner = 1), its corners
# above the middle of the lips, and open. Measured twice a second on the dev set: talking heads
# (cap12, cap13, jwpIntro, testMovie, carphone) 0.51-0.64 wide; WolfgangLanger's laughter 0.70-0.80
# and open 0.14-0.22, her crying 0.56-0.72 wide but open under 0.06; face_noface's grin 0.71, open
# 0.14; franck's laughs (at 2.5, 99, 115 and 165-170 s, checked on the frames) the only looks of
# his 400 to pass.
SMILE_WIDTH, SMILE_LIFT, SMILE_OPEN = 0.7, 0.02, 0.1


def read_face(image: np.ndarray, face: tuple) -> tuple[float, float, float]:
    """(smile, opening, bridge) of the face of a find_faces() box: smile 1.0 where it smiles
    broadly or laughs, else 0.0; opening, the gap between the lips (eye corner to eye corner = 1);
    bridge, how sharp a level edge crosses the nose between the eyes (bridge_edge). All NaN where
    the face is too small to tell or the mesh finds no face in the box (and a margin around it)."""
    height, width = image.shape[:2]
    x, y, w, h = face[:4]
    if h < MESH_FACE:
        return np.nan, np.nan, np.nan
    left, top = max(0, round((x - 0.5 * w) * width)), max(0, round((y - 0.5 * h) * height))
    right, bottom = min(width, round((x + 1.5 * w) * width)), min(height, round((y + 1.5 * h) * height))
    crop = image[top:bottom, left:right]
    found = _mesh().process(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)).multi_face_landmarks if crop.size else None
    if not found:
        return np.nan, np.nan, np.nan
    points = np.array([(p.x * crop.shape[1], p.y * crop.shape[0]) for p in found[0].landmark])
    eyes = max(float(np.linalg.norm(points[EYE_CORNERS[0]] - points[EYE_CORNERS[1]])), 1.0)
    corners, lips = points[list(MOUTH_CORNERS)], points[list(LIPS)]
    wide = np.linalg.norm(corners[0] - corners[1]) / eyes
    lift = (lips[:, 1].mean() - corners[:, 1].mean()) / eyes
    opening = float(np.linalg.norm(lips[0] - lips[1]) / eyes)
    smile = float(wide >= SMILE_WIDTH and lift >= SMILE_LIFT and opening >= SMILE_OPEN)
    return smile, opening, bridge_edge(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), points)


EYE_SPAN = 60  # pixels between the outer eye corners, once the face is levelled and scaled


def bridge_edge(gray: np.ndarray, points: np.ndarray) -> float:
    """How sharply a level edge runs across the nose between the eyes, where the bridge of a
    pair of glasses sits: the face levelled and scaled to EYE_SPAN between its outer eye corners,
    the strongest row of vertical gradient between the inner eye corners, from the middle of the
    brows to the bridge of the nose, over the contrast of the face around the eyes. NaN where the
    frame's edge cuts through that patch: the edge itself would read as a bridge."""
    patch = points[[INNER_EYES[0], INNER_EYES[1], BROWS_MIDDLE, NOSE_BRIDGE]]
    if patch.min() < 0 or (patch[:, 0] >= gray.shape[1]).any() or (patch[:, 1] >= gray.shape[0]).any():
        return np.nan
    outer = points[list(EYE_CORNERS)]
    centre = outer.mean(0)
    angle = float(np.degrees(np.arctan2(*(outer[1] - outer[0])[::-1])))
    scale = EYE_SPAN / max(float(np.linalg.norm(outer[1] - outer[0])), 1.0)
    turn = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, scale)
    turn[:, 2] += np.array([50.0, 40.0]) - centre  # the eyes' midpoint to (50, 40) of a 100x100 face
    face = cv2.warpAffine(gray, turn, (100, 100), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    moved = np.c_[points, np.ones(len(points))] @ turn.T
    left, right = int(moved[INNER_EYES[0], 0]) + 2, int(moved[INNER_EYES[1], 0]) - 2
    top, bottom = int(moved[BROWS_MIDDLE, 1]), int(moved[NOSE_BRIDGE, 1]) + 2
    rows = np.abs(cv2.Sobel(face, cv2.CV_32F, 0, 1, ksize=3))[max(0, top):bottom, max(0, left):right]
    if rows.size == 0:
        return np.nan
    return float(rows.mean(1).max() / (face[20:80, 10:90].std() + 1.0))


def smiling(looks: np.ndarray) -> bool:
    """Whether a shot shows a smile: two of its looks (read_face() per sampled frame), and a tenth
    of those that could tell."""
    read = looks[~np.isnan(looks)]
    return bool(len(read)) and (read == 1).sum() >= max(2, 0.1 * len(read))


# Glasses: the bridge between the lenses, a level edge across the nose (read_face's bridge) of at
# least GLASSES in half of a face's looks, and two of them. Measured on the dev set (1 look a
# second): faces without glasses 0.43-1.50 (cap12, cap13, franck, jwpIntro, testMovie, carphone,
# WolfgangLanger, face_noface; Megamind's woman), and on photographs 0.77-1.67 (Obama, Biden from
# face_recognition's tests; scikit-image's astronaut); kphotoalbum_movie's man 2.10-4.17 and Grace
# Hopper (matplotlib's sample photograph) 3.2, both in glasses. Megamind's cartoon man's thin round
# rims reach 0.73-1.73: not said. movie-hello's webcam face is too small to read.
GLASSES = 2.0


def wears_glasses(bridges: np.ndarray) -> bool:
    """Whether a shot's one face wears glasses, from read_face's bridge per sampled frame (NaN where not read)."""
    read = bridges[~np.isnan(bridges)]
    return len(read) >= 2 and 2 * (read >= GLASSES).sum() >= len(read)


# Talking: a voice heard through at least VOICED of a shot, and the lips of its one face seen apart
# by at least MOUTH_MOVES more in one look than in another (read_face, at most once a second).
# Measured on the dev set, the lips' range over a shot: talking heads with sound 0.17 (testMovie),
# 0.11 (jwpIntro), Megamind's talking close-up 0.11 (checked on its frames); its other close-up,
# under the same voice, 0.012; WolfgangLanger's crying face moves (0.19) but no voice is heard.
# kphotoalbum_movie's man talks, his range 0.0498: missed (it was held out).
VOICED = 0.5
MOUTH_MOVES = 0.05


def talking(openings: np.ndarray, voiced: float) -> bool:
    """Whether a shot's one face talks: a voice through VOICED of the shot (`voiced`) and a moving
    mouth (`openings`: read_face's per sampled frame, NaN where not read)."""
    read = openings[~np.isnan(openings)]
    return voiced >= VOICED and len(read) >= 2 and float(read.max() - read.min()) >= MOUTH_MOVES


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


def clothes_colour(image: np.ndarray, face: tuple) -> float:
    """The colour (a setting.COLOUR_NAMES index) of what the person of a find_faces() box wears
    on top: the band from just under the chin to a face height below it, as wide as the
    shoulders under a face (1.8 face widths). Orange pixels are taken for skin (a bare neck, the
    arms) and left out; NaN where the band leaves the frame, shows mostly skin or no colour holds
    60 % of the rest (stripes, a pattern, the background beside a narrow body).
    Measured on the dev set, twice a second: cap12's and cap13's grey T-shirt grey in 103 of 112
    and 58 of 64 looks, jwpIntro's red polo red in 12 of 12, face_noface's black T-shirt black in
    6 of 6; testMovie's striped top and franck's jumper under his chin cut by the frame: none."""
    height, width = image.shape[:2]
    x, y, w, h = face[:4]
    left, right = round((x + w / 2 - 0.9 * w) * width), round((x + w / 2 + 0.9 * w) * width)
    top, bottom = round((y + 1.15 * h) * height), min(height, round((y + 2.0 * h) * height))
    if left < 0 or right > width or bottom - top < 0.15 * h * height:
        return np.nan
    band = cv2.resize(image[top:bottom, left:right], (16, 8), interpolation=cv2.INTER_AREA)
    labels = colour_labels(cv2.cvtColor(band, cv2.COLOR_BGR2HSV)).reshape(-1)
    cloth = labels[labels != SKIN]
    if len(cloth) < 0.4 * len(labels):
        return np.nan
    counts = np.bincount(cloth, minlength=len(COLOUR_NAMES))
    return float(counts.argmax()) if counts.max() >= 0.6 * len(cloth) else np.nan


SKIN = COLOUR_NAMES.index("orange")  # the hue every skin tone is named by colour_labels


def worn_colour(colours: np.ndarray, face_counts: np.ndarray) -> str | None:
    """A shot's colour of clothes (clothes_colour per sampled frame): where it was measured on
    three quarters of the frames with a face, and one colour holds two thirds of those measures.
    (franck's jumper, mostly below the frame, was measured in 12 of one take's 20 looks: named
    there alone, the same man was "in a grey top" for 10 s of his two minutes.)"""
    measured = colours[(face_counts > 0) & ~np.isnan(colours)].astype(int)
    if not len(measured) or 4 * len(measured) < 3 * (face_counts > 0).sum():
        return None
    counts = np.bincount(measured, minlength=len(COLOUR_NAMES))
    return COLOUR_NAMES[int(counts.argmax())] if 3 * counts.max() >= 2 * len(measured) else None


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
