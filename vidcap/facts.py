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


@dataclass
class ShotFacts:
    concepts: list[dict] = field(default_factory=list)  # [{"name", "kind", "score"}], best first
    brightness: float = 0.0  # mean 8-bit luma
    lighting: str = "normal"  # dark, normal, bright

    def to_dict(self) -> dict:
        return {"concepts": self.concepts, "brightness": round(self.brightness, 1),
                "lighting": self.lighting}


def shot_facts(probs: np.ndarray, brightness: np.ndarray, min_score: float = 0.25,
               max_concepts: int = 3) -> ShotFacts:
    """Facts for one shot from its sampled frames' ImageNet probabilities (N, 1000) and luma (N,)."""
    facts = ShotFacts()
    if len(brightness):
        facts.brightness = float(np.mean(brightness))
        facts.lighting = ("dark" if facts.brightness < DARK_LEVEL
                          else "bright" if facts.brightness > BRIGHT_LEVEL else "normal")
    if len(probs):
        table = concept_table()
        mean = table.scores(probs).mean(axis=0)
        for c in np.argsort(-mean)[:max_concepts]:
            if mean[c] >= min_score:
                concept = table.concepts[c]
                facts.concepts.append({"name": concept.name, "kind": concept.kind,
                                       "score": round(float(mean[c]), 3)})
    return facts
