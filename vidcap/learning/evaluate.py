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
    """Lower-case tokens, quoted on-screen text kept as words: it is the content that matters most."""
    from ..narration.narrator import tokenize

    return " ".join(tokenize([text.replace("\n", " ").replace('"', " ")], [])) or "<none>"


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
    metrics = [m for m in ["concept_recall", "recall_held_out", "METEOR", "false_claims", "unsupported", "empty", "BLEU-4",
                           "ROUGE-L", "CIDEr", "coverage", "references"] if any(m in row for row in rows.values())]
    lines = ["| narrator | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(str(row.get(m, "")) for m in metrics) + " |")
    return "\n".join(lines)


def concept_recall(said: str, concepts: list[list[str]]) -> float:
    """Share of the concepts (each a list of words or phrases that name it) that `said` names; a
    phrase names it when all its content words are said ("black and white")."""
    from ..analysis.facts import content_words

    words = set(content_words(said))
    named = [any((needed := set(content_words(name))) and needed <= words for name in group) for group in concepts]
    return sum(named) / len(named) if named else 1.0


def false_claims(said: str, present: list[str]) -> list[str]:
    """The content words of `said` that are not among the words true of the clip (`present`,
    written from its frames): what a viewer would be told that is not there."""
    from ..analysis.facts import content_words

    true = {w for phrase in present for w in content_words(phrase)}
    return sorted({w for w in content_words(said) if w not in true and not w.isdigit()})


def unsupported(result) -> tuple[int, int]:
    """(content words of the cues with no fact of an overlapping shot behind them, all content
    words of the cues): faithfulness of a description to its own perception."""
    from ..analysis.facts import content_words

    backing = [f.words() for f in result.facts]
    bad = total = 0
    for cue in result.cues:
        backed = set().union(*[words for s, words in zip(result.shots, backing)
                               if s.start < cue.end and s.end > cue.start])
        words = content_words(cue.text)
        total += len(words)
        bad += sum(w not in backed for w in words)
    return bad, total
