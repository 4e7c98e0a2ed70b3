"""Perception facts stage: what each shot shows, as a record of facts with confidences.

These records are the interface between perception and the narrator: the rule narrator turns
them into sentences, and the LSTM narrator reads them beside the CNN features."""

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

DARK_LEVEL = 50  # mean 8-bit luma below which a shot reads as dark
BRIGHT_LEVEL = 190


@dataclass(frozen=True)
class Concept:
    name: str  # "a taxi"
    kind: str  # animal, vehicle, place, person, object, food


@dataclass
class ConceptTable:
    concepts: list[Concept]
    matrix: np.ndarray  # (1000, len(concepts)) 0/1: ImageNet class -> concept

    def scores(self, probs: np.ndarray) -> np.ndarray:
        """ImageNet probabilities (..., 1000) -> probability mass per concept (..., C)."""
        return probs @ self.matrix


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
    return ConceptTable(list(concepts), matrix)


# What to call something whose kind is clear when the exact concept is not.
GENERIC_NAMES = {"animal": "an animal", "vehicle": "a vehicle", "person": "a person", "food": "food"}


@dataclass
class ShotFacts:
    concepts: list[dict] = field(default_factory=list)  # [{"name", "kind", "score"}], best first
    kinds: dict = field(default_factory=dict)  # probability mass per kind of concept
    brightness: float = 0.0  # mean 8-bit luma
    lighting: str = "normal"  # dark, normal, bright

    def to_dict(self) -> dict:
        return {"concepts": self.concepts, "kinds": self.kinds,
                "brightness": round(self.brightness, 1), "lighting": self.lighting}


def shot_facts(probs: np.ndarray, brightness: np.ndarray, min_score: float = 0.5,
               min_kind_score: float = 0.35, max_concepts: int = 2) -> ShotFacts:
    """Facts for one shot from its sampled frames' ImageNet probabilities (N, 1000) and luma (N,).
    A concept is named when its mean probability mass reaches `min_score`; otherwise, when a
    kind's mass reaches `min_kind_score`, the generic word for it ("an animal")."""
    facts = ShotFacts()
    if len(brightness):
        facts.brightness = float(np.mean(brightness))
        facts.lighting = ("dark" if facts.brightness < DARK_LEVEL
                          else "bright" if facts.brightness > BRIGHT_LEVEL else "normal")
    if not len(probs):
        return facts
    table = concept_table()
    mean = table.scores(probs).mean(axis=0)
    kinds = sorted({c.kind for c in table.concepts})
    facts.kinds = {k: round(float(sum(m for m, c in zip(mean, table.concepts) if c.kind == k)), 3)
                   for k in kinds}
    named = set()
    for i in np.argsort(-mean):
        concept = table.concepts[i]
        if mean[i] >= min_score:
            facts.concepts.append({"name": concept.name, "kind": concept.kind, "score": round(float(mean[i]), 3)})
            named.add(concept.kind)
    for kind, score in sorted(facts.kinds.items(), key=lambda kv: -kv[1]):
        if score >= min_kind_score and kind not in named and kind in GENERIC_NAMES:
            facts.concepts.append({"name": GENERIC_NAMES[kind], "kind": kind, "score": score})
    facts.concepts = facts.concepts[:max_concepts]
    return facts
