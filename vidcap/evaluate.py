"""Evaluation, dense-captioning style: each reference cue is paired with the hypothesis cues
that overlap it in time, and the pairs are scored with BLEU-4, METEOR, ROUGE-L and CIDEr
(pycocoevalcap); plus the share of reference time that some hypothesis cue covers."""

import os
from contextlib import redirect_stdout

Cues = list[tuple[float, float, str]]


def pair_by_overlap(references: Cues, hypotheses: Cues) -> list[tuple[str, str]]:
    """(reference text, text of the hypothesis cues overlapping it, in time order)."""
    pairs = []
    for a, b, ref in references:
        said = [text for c, d, text in sorted(hypotheses) if min(b, d) - max(a, c) > 0]
        pairs.append((ref, " ".join(said)))
    return pairs


def coverage(references: Cues, hypotheses: Cues) -> float:
    total = sum(b - a for a, b, _ in references)
    covered = 0.0
    for a, b, _ in references:
        spans = sorted((max(a, c), min(b, d)) for c, d, _ in hypotheses if min(b, d) > max(a, c))
        end = a
        for s, e in spans:
            covered += max(0.0, e - max(s, end))
            end = max(end, e)
    return covered / total if total else 0.0


def _normalise(text: str) -> str:
    from .narrator import tokenize

    return " ".join(tokenize([text.replace("\n", " ")], [])) or "<none>"


def score(pairs: list[tuple[str, str]], meteor: bool = True) -> dict:
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge

    if not pairs:
        return {}
    refs = {i: [_normalise(r)] for i, (r, _) in enumerate(pairs)}
    hyps = {i: [_normalise(h)] for i, (_, h) in enumerate(pairs)}
    with open(os.devnull, "w") as quiet, redirect_stdout(quiet):  # the scorers print as they go
        out = {"BLEU-4": Bleu(4).compute_score(refs, hyps)[0][3],
               "ROUGE-L": Rouge().compute_score(refs, hyps)[0],
               "CIDEr": Cider().compute_score(refs, hyps)[0]}
        if meteor:
            from pycocoevalcap.meteor.meteor import Meteor

            out["METEOR"] = Meteor().compute_score(refs, hyps)[0]
    return {k: round(float(v), 4) for k, v in out.items()}


def evaluate(pairs_of_files: list[tuple[Cues, Cues]], meteor: bool = True) -> dict:
    pairs, covered, total = [], 0.0, 0.0
    for refs, hyps in pairs_of_files:
        pairs += pair_by_overlap(refs, hyps)
        length = sum(b - a for a, b, _ in refs)
        covered += coverage(refs, hyps) * length
        total += length
    return {**score(pairs, meteor), "coverage": round(covered / total, 4) if total else 0.0,
            "references": len(pairs)}


def table(rows: dict[str, dict]) -> str:
    metrics = ["BLEU-4", "METEOR", "ROUGE-L", "CIDEr", "coverage", "references"]
    lines = ["| narrator | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(str(row.get(m, "")) for m in metrics) + " |")
    return "\n".join(lines)
