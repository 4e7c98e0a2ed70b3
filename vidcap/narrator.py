"""Narrator stage: per-shot facts -> what to say, as sentences in order of importance.

`RulesNarrator` is the hand-written describer, following audio-description practice: what is
seen, general to specific (setting, who, what), present tense, no guessed emotions or names,
on-screen text quoted. It abstains when the facts are weak, because a short true sentence beats
a long wrong one, and it refers back: "back to ...", "a new scene: ..."."""

from .facts import ShotFacts

PLACE_PREPOSITION = {"a stage": "on", "water": "by"}
NUMBERS = {2: "two", 3: "three"}


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?", '"')) else ".")


def definite(phrase: str) -> str:
    """ "a person in a suit" -> "the person in a suit" (for referring back)."""
    for article in ("a ", "an "):
        if phrase.startswith(article):
            return "the " + phrase[len(article):]
    return phrase


def who(facts: ShotFacts) -> str:
    people = facts.people
    suited = next((c["name"] for c in facts.concepts if c["kind"] == "person"), None)
    framing = people.get("framing")
    if framing == "close-up":
        return f"a close-up of {suited or 'a face'}"
    if framing == "person":
        return suited or "a person"
    if framing == "group":
        return f"{NUMBERS.get(people['count'], 'several')} people"
    if framing == "crowd":
        return "a crowd"
    return suited or ""


def main_phrase(facts: ShotFacts) -> str:
    """Setting, who and what in one phrase, e.g. "an animal in a meadow"; "" when unsure."""
    person = who(facts)
    things = [c["name"] for c in facts.concepts if c["kind"] != "person"]
    if person:
        things = [t for t in things if t != "a person"]
    subject = join_names([p for p in [person, *things] if p])
    place = facts.setting.get("place")
    if place and subject:
        phrase = f"{subject} {PLACE_PREPOSITION.get(place, 'in')} {place}"
    else:
        phrase = subject or place or ""
    if phrase and facts.lighting == "dark":
        phrase += ", at night" if facts.setting.get("where") == "outdoors" else ", in the dark"
    return phrase


def quoted(facts: ShotFacts, kind: str) -> list[str]:
    return [line["text"] for line in facts.text if line["kind"] == kind]


class RulesNarrator:
    name = "rules"

    def narrate(self, shots: list[ShotFacts]) -> list[list[str]]:
        said: list[list[str]] = []
        for i, facts in enumerate(shots):
            said.append(self.describe(facts, shots[:i], said))
        return said

    def describe(self, facts: ShotFacts, before: list[ShotFacts], said: list[list[str]]) -> list[str]:
        if "colour bars" in facts.segments:
            return ["Colour bars."]
        if "black" in facts.segments:
            return ["A black screen."]
        if "credits" in facts.segments:
            names = " / ".join(line["text"] for line in facts.text[:2])
            return ["The end credits roll.", f'They read "{names}".']
        out = []
        titles = quoted(facts, "title")
        if titles:
            out.append(f'Title: "{" ".join(titles)}"')
        phrase = main_phrase(facts)
        if phrase and not titles:
            out.append(sentence(self.in_context(phrase, facts, before, said)))
        elif not out and facts.lighting == "dark":
            out.append("A dark shot.")
        out += [f'A sign reads "{t}".' for t in quoted(facts, "sign")]
        out += [f'A caption reads "{t}".' for t in quoted(facts, "caption")]
        camera = facts.camera
        if camera.get("camera") not in (None, "unknown", "static") and camera.get("confidence", 0) >= 0.6:
            verb, direction = camera["camera"].split()
            out.append(f"The camera {verb}s {direction}.")
        elif camera.get("camera") == "static" and camera.get("subject_moving") and not out:
            out.append("Something moves through the frame.")
        return out

    def in_context(self, phrase: str, facts: ShotFacts, before: list[ShotFacts], said) -> str:
        if not before:
            return phrase
        previous = main_phrase(before[-1])
        if phrase == previous:
            return said[-1][0].rstrip(".") if said[-1] else phrase  # same words: the cues merge
        if facts.like_shot is not None and facts.like_shot < len(before) - 1 \
                and main_phrase(before[facts.like_shot]) == phrase:
            return "back to " + definite(phrase)
        place, last_place = facts.setting.get("place"), before[-1].setting.get("place")
        if place and last_place and place != last_place:
            return "a new scene: " + phrase
        return phrase
