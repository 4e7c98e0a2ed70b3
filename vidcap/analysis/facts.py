"""Perception facts stage: what each shot shows, as a record of facts with confidences.

These records are the interface between perception and the narrator: the rule narrator turns
them into sentences, and the LSTM narrator reads them beside the CNN features."""

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from typing import Optional

import numpy as np

from .perception.objects import ANIMAL_SCORE, ANIMALS, COCO, OBJECT_WORDS
from .perception.setting import COLOUR_NAMES, COLOUR_SHARES
from .perception.technical import BLACK_LUMA, PLAIN_SPREAD
from .perception.text import lines_stay

DARK_LEVEL = 50  # mean 8-bit luma below which a shot reads as dark
BRIGHT_LEVEL = 190
DARK_BACKDROP = 80  # mean luma below which a shot's backdrop (most of the frame) is a dark one


@dataclass(frozen=True)
class Concept:
    name: str  # "a taxi"
    kind: str  # animal, vehicle, place, person, object, food


@dataclass
class ConceptTable:
    concepts: list[Concept]
    matrix: np.ndarray  # (1000, len(concepts)) 0/1: ImageNet class -> concept
    digest: str  # of the table's text: analyses keep concept scores, so it is part of their cache key

    def scores(self, probs: np.ndarray) -> np.ndarray:
        """ImageNet probabilities (..., 1000) -> probability mass per concept (..., C)."""
        return probs @ self.matrix

    @cached_property
    def kind_shares(self) -> dict[str, float]:
        """The share of ImageNet's classes behind each kind: a kind's mass by chance."""
        kinds = sorted({c.kind for c in self.concepts})
        return {k: float(self.matrix[:, [c.kind == k for c in self.concepts]].any(axis=1).mean()) for k in kinds}


def _class_indices(spec: str, categories: list[str]) -> list[int]:
    index = {name: i for i, name in enumerate(categories)}
    out = []
    for part in spec.split(","):
        part = part.strip()
        if part.replace("-", "").isdigit():
            first, _, last = part.partition("-")
            out += range(int(first), int(last or first) + 1)
        elif part in index:
            out.append(index[part])
        else:
            raise ValueError(f"imagenet_concepts.tsv: unknown ImageNet class {part!r}")
    return out


@lru_cache(maxsize=1)
def concept_table() -> ConceptTable:
    from .features import imagenet_categories

    categories = imagenet_categories()
    text = resources.files("vidcap").joinpath("data/imagenet_concepts.tsv").read_text()
    concepts: dict[Concept, int] = {}
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        classes, name, kind = line.split("\t")
        column = concepts.setdefault(Concept(name, kind), len(concepts))
        rows += [(i, column) for i in _class_indices(classes, categories)]
    matrix = np.zeros((len(categories), len(concepts)), np.float32)
    for i, column in rows:
        if matrix[i].any():
            raise ValueError(f"imagenet_concepts.tsv: class {categories[i]!r} mapped twice")
        matrix[i, column] = 1
    return ConceptTable(list(concepts), matrix, hashlib.sha256(text.encode()).hexdigest()[:16])


# Words a description may use without a fact behind them: articles, prepositions, linking and
# referring words. Every other word must be backed by a fact of its shot (ShotFacts.words).
FUNCTION_WORDS = frozenset("""a an the of in on at by to from with through and or but is are its it
they them their this that these there here into onto over under near beside behind before after against about
then still again back new scene same one also as for now mostly view shot""".split())
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")


def content_words(text: str) -> list[str]:
    """The lower-case words of `text` that are not FUNCTION_WORDS, plural 's' dropped."""
    words = (w[:-1] if w.endswith("s") and len(w) > 3 and not w.endswith("ss") else w
             for w in _WORD.findall(text.lower()))
    return [w for w in words if w not in FUNCTION_WORDS]


# What to call something whose kind is clear when the exact concept is not.
GENERIC_NAMES = {"animal": "an animal", "vehicle": "a vehicle", "person": "a person", "food": "food"}


SURE_CAMERA = 0.6  # the confidence (motion.describe_camera) from which a camera move is said


def sure_camera_move(camera: dict) -> Optional[str]:
    """The camera's move ("pan left") when one was measured with SURE_CAMERA confidence."""
    if camera.get("camera") not in (None, "unknown", "static") and camera.get("confidence", 0) >= SURE_CAMERA:
        return camera["camera"]
    return None


@dataclass
class ShotFacts:
    concepts: list[dict] = field(default_factory=list)  # [{"name", "kind", "score"}], best first
    kinds: dict = field(default_factory=dict)  # probability mass per kind of concept
    brightness: float = 0.0  # mean 8-bit luma
    lighting: str = "normal"  # dark, normal, bright
    people: dict = field(default_factory=lambda: {"count": 0, "framing": None, "confidence": 0.0})
    text: list[dict] = field(default_factory=list)  # [{"text", "kind", "score", "box"}]
    text_share: float = 0.0  # of the sampled frames, those where the text check found letter-like marks
    camera: dict = field(default_factory=lambda: {"camera": "unknown", "confidence": 0.0})
    setting: dict = field(default_factory=dict)
    colours: dict = field(default_factory=dict)  # {"frame": [...], "centre": [...]}: colour names
    colour_shares: np.ndarray = field(default_factory=lambda: np.zeros(COLOUR_SHARES))  # mean per frame
    segments: list[str] = field(default_factory=list)  # technical: black, fade in, colour bars...
    objects: list[dict] = field(default_factory=list)  # detected: [{"name", "count", "score", "where"}]
    shapes: Optional[dict] = None  # small shapes on a plain backdrop: {"count", "tone", "number"}
    continues: bool = False  # a later part of a long take: no cut before it
    like_shot: Optional[int] = None  # an earlier shot that looks the same (index), if any
    likeness: float = 0.0

    def words(self) -> set[str]:
        """Every content word that these facts back: what a narrator may say of this shot (see
        FUNCTION_WORDS for the words that need no fact)."""
        said = [c["name"] for c in self.concepts] + [o["name"] for o in self.objects]
        said += [line["text"] for line in self.text]
        said += [line["kind"] for line in self.text]
        said += [line["colour"] for line in self.text if line.get("colour")]
        if self.text:
            said.append("reads read screen")  # and each line's own kind (title, caption, sign), above
        if self.people.get("count", 0) or self.people.get("framing"):
            said.append("person people face close-up group crowd two three several")
        if self.people.get("facing"):
            said.append("facing camera")
        if self.people.get("clothes"):
            said.append(self.people["clothes"] + " top")
        if self.people.get("smiling"):
            said.append("smiling smiles")
        if self.people.get("talking"):
            said.append("talking talks")
        if self.people.get("glasses"):
            said.append("glasses")
        if self.people.get("hands"):
            said.append("hand hands" + (" face raises" if self.people["hands"]["at_face"] else ""))
        if self.people.get("action"):
            said.append(self.people["action"] + " walk")
        for found in self.objects:
            said.append(found["name"] + " two three several " + " ".join(OBJECT_WORDS.get(found["name"], ())))
        if moved := sure_camera_move(self.camera):  # "the camera" only when it moves
            verb, direction = moved.split()
            said.append(f"camera {verb} {verb}s {direction}")
        if self.camera.get("camera") == "static":
            said.append("still view")
        if self.camera.get("subject_moving"):
            said.append("something moves frame")
        if self.shapes:
            said.append(f"small shapes {self.shapes['tone']} {self.shapes['number']} background"
                        + (" moving" if self.camera.get("subject_moving") else ""))
        said += [v for v in (self.setting.get("place"), self.setting.get("where")) if v]
        if self.setting.get("time_of_day") == "night":
            said.append("night")
        if self.lighting == "dark":
            said.append("dark shot")
        said += self.segments
        if "black" in self.segments:
            said.append("screen")
        if "plain" in self.segments:
            said.append("screen" + (" dark" if self.dark_backdrop else ""))
        if "fade out" in self.segments:  # into black (technical.fades), where the shot ends
            said.append("fade black screen")
        if "credits" in self.segments:
            said.append("end credits roll")
        said += self.colours.get("frame", []) + self.colours.get("centre", []) + self.colours.get("mixed", [])
        if self.colours.get("backdrop"):
            said.append(self.colours["backdrop"] + " background" + (" dark" if self.dark_backdrop else ""))
        if self.colours.get("subject"):
            said.append("something " + " ".join(self.colours["subject"]))
        if self.colours.get("monochrome"):
            said.append("black white")
        return {w for phrase in said for w in content_words(phrase)}

    @property
    def dark_backdrop(self) -> bool:
        """Whether most of the frame is dark (DARK_BACKDROP): "a dark blue background"."""
        return self.brightness < DARK_BACKDROP

    def to_dict(self) -> dict:
        return {"concepts": self.concepts, "objects": self.objects, "kinds": self.kinds, "people": self.people,
                "text": self.text, "text_share": round(self.text_share, 2), "camera": self.camera, "setting": self.setting,
                "colours": self.colours, "shapes": self.shapes,
                "segments": self.segments, "brightness": round(self.brightness, 1),
                "lighting": self.lighting, "like_shot": self.like_shot,
                "likeness": round(self.likeness, 3)}


def name_concepts(mean: np.ndarray, min_score: float = 0.5, min_kind_score: float = 0.35,
                  above_chance: float = 0.2, max_concepts: int = 2) -> tuple[list[dict], dict]:
    """From a shot's mean probability mass per concept (ConceptTable.scores over its sampled
    frames): concepts named when their mass reaches `min_score`; otherwise, when a kind's mass
    reaches `min_kind_score` and exceeds its share of ImageNet's classes by `above_chance`, the
    generic word for it ("an animal"). An animal species needs ANIMAL_SCORE, as the detector's do
    (Big Buck Bunny's trailer: its rabbit in a burrow was "a bear" at 0.63, its rodents "a dog" at
    0.6). Also the mass per kind.
    Why the chance level: 345 of the 1000 classes are animals, so a frame the classifier cannot
    read spreads about 0.35 on animals (a tree's foliage 0.22-0.43, a cartoon 0.12-0.43, at most
    0.08 on any one animal; murky water full of bubbles 0.50); real animals drew 0.50-0.88
    (bigbuckbunny's rabbit 0.58), so the generic word needs 0.545 and goes unsaid on a few."""
    table = concept_table()
    kinds = {k: round(float(sum(m for m, c in zip(mean, table.concepts) if c.kind == k)), 3)
             for k in sorted({c.kind for c in table.concepts})}
    chance = table.kind_shares
    concepts, named = [], set()
    for i in np.argsort(-mean):
        if mean[i] < min_score:
            break
        concept = table.concepts[i]
        if concept.kind == "animal" and mean[i] < ANIMAL_SCORE:
            continue  # a species only when sure: else "an animal", from the kind's mass below
        concepts.append({"name": concept.name, "kind": concept.kind, "score": round(float(mean[i]), 3)})
        named.add(concept.kind)
    for kind, score in sorted(kinds.items(), key=lambda kv: -kv[1]):
        if score >= max(min_kind_score, chance[kind] + above_chance) and kind not in named and kind in GENERIC_NAMES:
            concepts.append({"name": GENERIC_NAMES[kind], "kind": kind, "score": score})
    return concepts[:max_concepts], kinds


def voice_share(voices: np.ndarray, shot) -> float:
    """The share of a shot in which a voice is heard (`voices`: (start, end) rows)."""
    heard = sum(max(0.0, min(end, shot.end) - max(start, shot.start)) for start, end in voices)
    return heard / (shot.end - shot.start) if shot.end > shot.start else 0.0


def lighting_of(brightness: np.ndarray) -> tuple[float, str]:
    if not len(brightness):
        return 0.0, "normal"
    level = float(np.mean(brightness))
    return level, "dark" if level < DARK_LEVEL else "bright" if level > BRIGHT_LEVEL else "normal"


def text_kind(box: list[float], size_share: float) -> str:
    """Title card, caption (lower third) or sign, from where the line stands and how big it is."""
    x, y, w, h = box
    centred = abs(x + w / 2 - 0.5) < 0.15
    if y > 0.66 and not (centred and h > 0.08):
        return "caption"
    if centred and (h > 0.07 or size_share > 0.3):
        return "title"
    return "sign"


CUT_BY_EDGE = 0.01  # of the frame's width: a line whose box reaches this near a side runs off it


def cut_off(text: str, box: list[float]) -> str:
    """A line as read, with an ellipsis on each side where it runs off the frame ("…fault.m…"):
    what OCR read there is a piece of something longer, and a viewer should know it."""
    x, _, w, _ = box
    return ("…" if x < CUT_BY_EDGE else "") + text + ("…" if x + w > 1 - CUT_BY_EDGE else "")


def shot_text(ocr: list[dict], shot) -> list[dict]:
    from .perception.text import best_readings, spelled

    lines = [line for entry in ocr if shot.holds(entry["time"]) for line in entry["lines"]]
    shown = [mended for line in best_readings(lines) if (mended := spelled(line))]
    ordered = sorted(shown, key=lambda l: (round(l["box"][1], 1), l["box"][0]))
    return one_title([{"text": cut_off(l["text"], l["box"]), "kind": text_kind(l["box"], l["box"][2]),
                       "score": l["score"], "box": l["box"], "colour": l.get("colour"),
                       **({"read_as": l["read_as"]} if "read_as" in l else {})} for l in ordered])


def one_title(lines: list[dict]) -> list[dict]:
    """A shot's lines with one title: the run of title lines stacked one under the next (no gap
    taller than the shorter of two neighbours) that holds the tallest letters; title lines apart
    from it are on screen beside it. balle-jbart's red "LYCEE JEAN BART -- 2016" (0.067 of the
    frame high) and, 0.10 below it, the note "A4 paper sheet (length = 0.297 m)" (0.045) were
    said as one title; minions' "ICH" / "EINFACH 2" / "AB 4.JULI IM KINO" stay one."""
    titles = sorted((l for l in lines if l["kind"] == "title"), key=lambda l: l["box"][1])
    runs: list[list[dict]] = []
    for line in titles:
        above = runs[-1][-1]["box"] if runs else None
        if above and line["box"][1] - (above[1] + above[3]) <= min(above[3], line["box"][3]):
            runs[-1].append(line)
        else:
            runs.append([line])
    kept = max(runs, key=lambda run: max(l["box"][3] for l in run), default=[])
    return [l if l["kind"] != "title" or any(l is k for k in kept) else {**l, "kind": "sign"} for l in lines]


def shot_facts(analysis, shot) -> ShotFacts:
    """Everything perception found in one shot."""
    from .perception.motion import describe_camera
    from .perception.objects import describe_objects
    from .perception.setting import WATER_CONCEPTS, WINDOW_SUPPORT, describe_colours, describe_setting, sunlit
    from .perception.shapes import describe_shapes

    idx = analysis.frames_in(shot)
    m = {k: v[idx] for k, v in analysis.measures.items() if not k.startswith("every_")}
    facts = ShotFacts()
    table = concept_table()
    mean = analysis.concepts[idx].mean(axis=0, dtype=np.float32) if len(idx) else np.zeros(len(table.concepts))
    facts.concepts, facts.kinds = name_concepts(mean) if len(idx) else ([], {})
    water_support = float(mean[[i for i, c in enumerate(table.concepts) if c.name in WATER_CONCEPTS]].sum())
    window = float(m["window"].mean(dtype=np.float32)) if len(idx) else 0.0
    if window >= WINDOW_SUPPORT and sunlit(m["glare"]):
        facts.concepts.append({"name": "a window", "kind": "object", "score": round(window, 3)})
    facts.brightness, facts.lighting = lighting_of(analysis.brightness[idx])
    facts.camera = describe_camera(m["dx"], m["dy"], m["zoom"], m["moving"])
    held = [o for o in analysis.objects if shot.holds(o["time"])]
    looks = [np.array(o["boxes"], np.float32).reshape(-1, 6) for o in held]
    facts.objects = describe_objects(looks, [o.get("reused", False) for o in held])
    facts.people, facts.objects = shot_people(m, held, looks, facts.concepts, facts.objects,
                                              facts.camera.get("camera") == "static", voice_share(analysis.voices, shot))
    facts.text = shot_text(analysis.ocr, shot)
    facts.text_share = float((m["text_chars"] > 0).mean()) if len(idx) else 0.0
    facts.shapes = describe_shapes(m["shapes"], m["shapes_dark"])
    if len(idx):
        facts.colour_shares = m["colour_shares"].mean(axis=0)
    facts.colours = describe_colours(facts.colour_shares)
    facts.setting = describe_setting(m["sky"], m["green"], m["water"], facts.kinds,
                                     [c["name"] for c in facts.concepts], facts.lighting, water_support,
                                     (m["night_sky"], m["lights"], m["lines"]), facts.people.get("count", 0),
                                     facts.objects, m["glare"],
                                     any(c["kind"] == "animal" and c["name"] != GENERIC_NAMES["animal"]
                                         for c in facts.concepts) or any(o["name"] in ANIMALS for o in facts.objects))
    return facts


def shot_people(m: dict, held: list[dict], looks: list[np.ndarray], concepts: list[dict], objects: list[dict],
                static: bool, voiced: float = 0.0) -> tuple[dict, list[dict]]:
    """Who a shot shows, from its sampled frames' measures (`m`: faces, clothes, smiles, mouths, bridges), its
    object looks (`held`, their boxes as `looks`: bodies, hands), the classifier's concepts, the
    detector's objects and the share of the shot in which a voice is heard (`voiced`); and those
    objects, less a person found to be something else."""
    from .perception.objects import person_is_an_animal
    from .perception.people import add_bodies, describe_hands, describe_people, smiling, talking, wears_glasses, worn_colour

    people = describe_people(m["faces"], m["face_height"], m["face_turn"])
    few_faces = not people.get("count") or people.get("confidence", 0) < 0.5
    if few_faces and (person_is_an_animal(looks) or any(c["kind"] == "animal" for c in concepts)
                      and not any(o["name"] in ANIMALS for o in objects)):
        # BlazeFace sees a face in under half the looks, if any, and either the detector boxes
        # its person as an animal too, or the classifier sees an animal where the detector sees
        # a body and no animal: an animal close up or standing up (a cockatoo, a cartoon's
        # rabbit) taken for a person. A real animal beside a person is detected apart, and keeps
        # the person.
        people = describe_people(np.zeros(0), np.zeros(0))
        objects = [o for o in objects if o["name"] != "person"]
    elif held and people.get("framing") == "person" and people.get("confidence", 0) < 0.5 \
            and not any(o["name"] == "person" for o in objects):
        # A face no bigger than a whole person's, in under half the looks, and no body around it
        # in any look: BlazeFace on something else (the blurred letters of a title over a sky).
        people = describe_people(np.zeros(0), np.zeros(0))
    people = add_bodies(people, next((o for o in objects if o["name"] == "person"), None), static)
    alone = people.get("count") == 1 and people.get("framing") in ("close-up", "person")
    if alone and (worn := worn_colour(m["clothes"], m["faces"])):
        people["clothes"] = worn
    if people.get("framing") in ("close-up", "person") and smiling(m["smile"]):
        people["smiling"] = True
    if alone and talking(m["mouth"], voiced):
        people["talking"] = True
    if alone and wears_glasses(m["bridge"]):
        people["glasses"] = True
    if people.get("count") and (hands := describe_hands([o.get("hands", []) for o in held], m["faces"],
                                                        [o.get("reused", False) for o in held])):
        people["hands"] = hands
    return people, objects


def technical_segments(analysis, shots_facts: list[ShotFacts]) -> list[dict]:
    """Black frames, fades, colour bars, plain screens and end credits as {"type", "start", "end"},
    in time order; each shot's facts also list the kinds it overlaps."""
    m = analysis.measures
    found = [{"type": "black", "start": b["start"], "end": b["end"]} for b in analysis.blacks]
    found += [dict(f) for f in analysis.fades]
    found += _runs(analysis.times, m["bars"] > 0.5, analysis.duration, "colour bars")
    found += _runs(m["every_time"], (m["every_luma"] >= BLACK_LUMA) & (m["every_spread"] < PLAIN_SPREAD),
                   analysis.duration, "plain")
    for shot, facts in zip(analysis.shots, shots_facts):
        # Rolling credits: several lines read at two moments or more (a title card is read once,
        # also when the camera tilts down a landscape behind it), the content moving up (reads as
        # a tilt down); or, where a black tail in the same shot holds the camera's median still,
        # three lines or more while something moves.
        camera = facts.camera
        reads = [e for e in analysis.ocr if e["lines"] and shot.holds(e["time"])]
        if len(facts.text) >= 2 and len({e["time"] for e in reads}) >= 2 and not lines_stay(reads) and (
                camera.get("camera") == "tilt down" or (camera.get("subject_moving") and len(facts.text) >= 3)):
            found.append({"type": "credits", "start": shot.start, "end": shot.end})
    found.sort(key=lambda seg: seg["start"])
    for shot, facts in zip(analysis.shots, shots_facts):
        length = shot.end - shot.start
        facts.segments = sorted({seg["type"] for seg in found
                                 if min(seg["end"], shot.end) - max(seg["start"], shot.start) >= 0.5 * length
                                 or seg["type"] == "fade out" and abs(seg["start"] - shot.start) < 0.05})  # shots.start_fades
    return [{"type": s["type"], "start": round(s["start"], 3), "end": round(s["end"], 3)} for s in found]


def _runs(times: np.ndarray, flags: np.ndarray, end: float, kind: str) -> list[dict]:
    runs, start = [], None
    for i, flag in enumerate(flags):
        if flag and start is None:
            start = times[i]
        elif not flag and start is not None:
            runs.append({"type": kind, "start": float(start), "end": float(times[i])})
            start = None
    if start is not None:
        runs.append({"type": kind, "start": float(start), "end": end})
    return runs


def link_similar_shots(analysis, shots_facts: list[ShotFacts], min_likeness: float = 0.9):
    """Mark each shot that looks like an earlier one (cosine of mean CNN features), so the
    narrator can say "again" or "back to". Shots without a sampled frame look like nothing."""
    frames = [analysis.frames_in(shot) for shot in analysis.shots]
    seen = [i for i, idx in enumerate(frames) if len(idx)]
    # One matrix, not a vector per shot: a day in one still take is 8,640 ten-second parts.
    means = np.zeros((len(seen), analysis.features.shape[1]), np.float32)
    for row, i in enumerate(seen):
        v = analysis.features[frames[i]].mean(axis=0, dtype=np.float32)
        means[row] = v / (np.linalg.norm(v) + 1e-9)
    for row, i in enumerate(seen):
        facts = shots_facts[i]
        if row == 0 or facts.continues:  # a long take's later part is no return to anything
            continue
        likeness = means[:row] @ means[row]
        best = int(np.argmax(likeness))
        if likeness[best] >= min_likeness:
            facts.like_shot, facts.likeness = seen[best], float(likeness[best])


CAMERAS = ["static", "pan left", "pan right", "tilt up", "tilt down", "zoom in", "zoom out"]
FRAMINGS = ["close-up", "person", "group", "crowd"]
PLACES = ["a street", "grass", "water", "a stage", "a restaurant", "a library",
          "a shop", "a church", "a cinema"]
SEGMENTS = ["black", "fade in", "fade out", "colour bars", "credits"]
TEXT_KINDS = ["title", "caption", "sign"]


def fact_vector_size() -> int:
    table = concept_table()
    return (len(table.concepts) + len({c.kind for c in table.concepts}) + 1 + len(FRAMINGS)
            + len(CAMERAS) + 1 + 2 + 2 + len(PLACES) + 2 + len(SEGMENTS) + len(TEXT_KINDS) + 3 + COLOUR_SHARES
            + len(COCO) + 1 + len(PERSON_FACTS) + len(COLOUR_NAMES))


# What one person does and wears, at the end of the fact vector: a model trained on the shorter
# vector before them (vidcap-lstm-v2, 250 values) reads only its first n_facts values.
PERSON_FACTS = ("smiling", "talking", "glasses", "hands", "at_face")


def fact_vector(facts: ShotFacts, index: int) -> np.ndarray:
    """A shot's facts as a fixed-size vector for the LSTM narrator (`index`: the shot's number,
    to tell a return to the previous shot from a return to an earlier one)."""
    table = concept_table()
    names = [c.name for c in table.concepts]
    concepts = np.zeros(len(names), np.float32)
    for c in facts.concepts:
        if c["name"] in names:
            concepts[names.index(c["name"])] = c["score"]
    kinds = [facts.kinds.get(k, 0.0) for k in sorted({c.kind for c in table.concepts})]
    objects = np.zeros(len(COCO), np.float32)
    for found in facts.objects:
        objects[COCO.index(found["name"])] = found["score"]
    one_hot = lambda value, options: [float(value == o) for o in options]
    people = facts.people
    person = {**people, "at_face": (people.get("hands") or {}).get("at_face")}
    setting = facts.setting
    like = facts.like_shot
    parts = [concepts, kinds, [min(people.get("count", 0), 4) / 4], one_hot(people.get("framing"), FRAMINGS),
             one_hot(facts.camera.get("camera"), CAMERAS), [float(facts.camera.get("subject_moving", False))],
             one_hot(setting.get("where"), ["outdoors", "indoors"]),
             one_hot(setting.get("time_of_day"), ["day", "night"]), one_hot(setting.get("place"), PLACES),
             one_hot(facts.lighting, ["dark", "bright"]), [float(s in facts.segments) for s in SEGMENTS],
             [float(any(t["kind"] == k for t in facts.text)) for k in TEXT_KINDS],
             [float(like is not None and like == index - 1), float(like is not None and like < index - 1),
              facts.likeness], facts.colour_shares, objects, [float(people.get("action") == "walking")],
             [float(bool(person.get(k))) for k in PERSON_FACTS],
             one_hot(people.get("clothes"), COLOUR_NAMES)]
    return np.concatenate([np.asarray(p, np.float32) for p in parts])


def all_facts(analysis) -> tuple[list[ShotFacts], list[dict]]:
    """Every shot's facts, with technical segments and links to similar earlier shots filled in;
    and the video's technical segments."""
    facts = [shot_facts(analysis, shot) for shot in analysis.shots]
    for shot, found in zip(analysis.shots, facts):
        found.continues = not shot.cut
    segments = technical_segments(analysis, facts)
    link_similar_shots(analysis, facts)
    return facts, segments
