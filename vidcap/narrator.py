"""Narrator stage: per-shot facts -> what to say, as sentences in order of importance.

`RulesNarrator` is the hand-written describer; it abstains (says nothing) when the facts are
weak, because a short true sentence beats a long wrong one."""

from .facts import ShotFacts


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?", '"')) else ".")


class RulesNarrator:
    name = "rules"

    def narrate(self, shots: list[ShotFacts]) -> list[list[str]]:
        return [self.describe(facts) for facts in shots]

    def describe(self, facts: ShotFacts) -> list[str]:
        names = [c["name"] for c in facts.concepts]
        if facts.lighting == "dark":
            return [sentence(f"{join_names(names)}, in the dark")] if names else ["A dark shot."]
        return [sentence(join_names(names))] if names else []
