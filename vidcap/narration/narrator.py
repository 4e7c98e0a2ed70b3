"""Narrator stage: per-shot facts -> what to say, as sentences in order of importance.

`RulesNarrator` is the hand-written describer, following audio-description practice: what is
seen, general to specific (setting, who, what), present tense, no guessed emotions or names,
on-screen text quoted. It abstains when the facts are weak, because a short true sentence beats
a long wrong one, and it refers back: "back to ...", "a new scene: ..."."""

import os
import re
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import Optional

import numpy as np

from ..errors import VidcapError
from ..analysis.facts import GENERIC_NAMES, ShotFacts, content_words, sure_camera_move
from ..analysis.perception.objects import OBJECT_WORDS
from ..analysis.perception.setting import CITY
from .cues import DANGLING, ReadabilityRules, wrap

GENERIC = set(GENERIC_NAMES.values())  # "a vehicle": not said beside a named object
SETTING_THINGS = {"a window"}  # they say where the view is, not what it shows

PLACE_PREPOSITION = {"a stage": "on", "water": "by", "grass": "on", CITY: "before"}
NUMBERS = {2: "two", 3: "three"}
# A title seen in fewer than this share of a shot's frames (ShotFacts.text_share) came and went
# over the picture, which is described too; on a title card, or a title over the whole shot, the
# title is what there is to read (the trailer's sepia rabbit behind its opening titles is no person).
TITLE_OVER_SCENE = 1 / 3


def object_phrase(found: dict) -> str:
    """A detected object with its count: "a bicycle", "two cars", "several chairs"."""
    one, many = OBJECT_WORDS.get(found["name"], (found["name"], found["name"] + "s"))
    if found["count"] >= 2:
        return f"{NUMBERS.get(found['count'], 'several')} {many}"
    return f"{article(one)} {one}"


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def background(colour: str) -> str:
    """ "a blue background", "an orange background", "a dark blue background"."""
    return f"{article(colour)} {colour} background"


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?", '"')) else ".")


def definite(phrase: str) -> str:
    """ "a person in a suit" -> "the person in a suit" (for referring back)."""
    for article in ("a ", "an "):
        if phrase.startswith(article):
            return "the " + phrase[len(article):]
    return phrase


def suited_name(facts: ShotFacts) -> Optional[str]:
    """The classifier's name for who is there ("a person in a suit"), if it has one."""
    return next((c["name"] for c in facts.concepts if c["kind"] == "person"), None)


def who(facts: ShotFacts, detail: int = 3) -> str:
    """Who is in the shot; `detail` below 3 leaves out, in turn, the backdrop, "facing the camera"
    and what the person wears (glasses, a top): a short shot has no time for them all."""
    people = facts.people
    suited = suited_name(facts)
    framing = people.get("framing")
    backdrop = f" against {background(colour)}" if (colour := facts.colours.get("backdrop")) \
        and detail >= 3 else ""
    worn = (["glasses"] if people.get("glasses") else []) + \
        ([f"{article(people['clothes'])} {people['clothes']} top"] if people.get("clothes") and not suited else [])
    dressed = (" and " if suited and " in " in suited else " in ") + " and ".join(worn) \
        if worn and detail >= 1 else ""
    smiling = lambda noun: "a smiling " + noun[2:] if people.get("smiling") and noun.startswith("a ") else noun
    hands = people.get("hands") or {}
    to_face = ", a hand to the face" if hands.get("at_face") else ""
    if framing == "close-up":
        facing = " facing the camera" if people.get("facing") and detail >= 2 else ""
        if people.get("talking"):  # who to, a picture cannot tell: a film's close-up talks to someone off screen
            facing = " talking," + facing if facing else " talking"
        noun = suited or ("a person" if facing or dressed else "a face")
        return f"a close-up of {smiling(noun)}{dressed}{facing}{backdrop}{to_face}"
    walking = " walking" if people.get("action") == "walking" else ""
    if hands.get("alone"):  # no face: what shows of the person is a hand or two
        return ("two hands" if hands["count"] >= 2 else "a hand") + backdrop
    if framing == "person":
        talking = " talking" if people.get("talking") else ""
        return smiling(suited or "a person") + dressed + walking + talking + backdrop + to_face
    if framing == "group":
        return f"{NUMBERS.get(people['count'], 'several')} people{walking}"
    if framing == "crowd":
        return "a crowd" + walking
    return suited or ""


def main_phrase(facts: ShotFacts, detail: int = 3, setting_known: bool = False) -> str:
    """Setting, who and what in one phrase, e.g. "two people and a car in a street"; "" when unsure.
    `detail`: as who's; `setting_known`: the shot before said where and in what light (indoors,
    at night, in the dark), which is not said again."""
    person = who(facts, detail)
    things = shot_objects(facts)[:2]
    said = {t.split()[-1].rstrip("s") for t in things}
    things += [c["name"] for c in facts.concepts if c["kind"] != "person"
               and c["name"].split()[-1].rstrip("s") not in said and not (things and c["name"] in GENERIC)]
    things = things[:3]
    if person:
        things = [t for t in things if t != "a person"]
    elif things == [GENERIC_NAMES["animal"]] and facts.shapes:  # the classifier's animal is what the shapes are
        things = [shapes_phrase(facts, "animals")]
    if things and ("," in person or person.endswith("the camera")):  # "facing the camera, and a tie": not facing the tie
        subject = f"{person}, and {join_names(things)}"
    else:
        subject = join_names([p for p in [person, *things] if p]) or (shapes_phrase(facts) if not facts.text else "")
    place = facts.setting.get("place")
    if place and subject:
        phrase = f"{subject} {PLACE_PREPOSITION.get(place, 'in')} {place}"
    elif subject and facts.setting.get("where") == "indoors" and not setting_known:  # setting first, as describers do
        phrase = f"indoors, {subject}"
    else:
        phrase = subject or place or ""
    if not phrase or setting_known:
        return phrase
    if facts.setting.get("time_of_day") == "night":  # describe_setting: dark outdoors is night too
        phrase += ", at night"
    elif facts.lighting == "dark":
        phrase += ", in the dark"
    return phrase


def shapes_phrase(facts: ShotFacts, noun: str = "") -> str:
    """Small shapes on a plain backdrop, where nothing else in the shot is named: "eight small
    dark shapes moving on a grey background"; with `noun`, what they are ("two small animals");
    "" where there are none."""
    if not (shapes := facts.shapes):
        return ""
    moving = " moving" if facts.camera.get("subject_moving") else ""
    colours = facts.colours.get("frame", [])
    backdrop = f" on {background(colours[0])}" if len(colours) == 1 and facts.lighting != "dark" else ""
    return f"{shapes['number']} small {noun or shapes['tone'] + ' shapes'}{moving}{backdrop}"


def quoted(facts: ShotFacts, kind: str) -> list[str]:
    return [line["text"] for line in facts.text if line["kind"] == kind]


def unquoted(facts: ShotFacts, kind: str, said: list[list[str]], last: Optional[int]) -> list[str]:
    """The shot's lines of one kind less those quoted in the last part of the same take that
    said anything (last_described; a shot split where a new line comes on: minions' web address,
    on screen before its title came, is not read out again with it)."""
    lines = quoted(facts, kind)
    if not facts.continues or last is None:
        return lines
    told = [quote for sentence in said[last] for quote in re.findall(r'"([^"]*)"', sentence)]
    return [line for line in lines if not any(line in quote for quote in told)]


def title_style(facts: ShotFacts) -> str:
    """How a title card looks, where measured: "in yellow on a dark blue background"."""
    colour = next((line["colour"] for line in facts.text if line["kind"] == "title" and line.get("colour")), None)
    backdrop = facts.colours.get("backdrop")
    shade = "dark " if facts.dark_backdrop else ""
    parts = [f"in {colour}"] if colour else []
    if backdrop and backdrop != colour:
        parts.append(f"on {background(shade + backdrop)}")
    return " ".join(parts)


def last_described(before: list[ShotFacts], said: list[list[str]]) -> Optional[int]:
    """The last shot that something was said of, looking back past the parts of a take that said
    nothing (a part with no sampled frame: a film read at one frame in 20 s), or None."""
    for k in range(len(before) - 1, -1, -1):
        if said[k]:
            return k
        if not before[k].continues:
            return None
    return None


class RulesNarrator:
    name = "rules"

    def narrate(self, shots: list[ShotFacts], analysis=None) -> list[list[str]]:
        said: list[list[str]] = []
        rooms = self.rooms(shots, analysis) if analysis is not None else [None] * len(shots)
        for i, facts in enumerate(shots):
            last = last_described(shots[:i], said)
            sentences = self.describe(facts, shots[:i], said, last, rooms[i])
            if facts.continues and last is not None and sentences == said[last]:
                sentences = []  # the same take, nothing new since it was last described
            said.append(sentences)
        return said

    @staticmethod
    def rooms(shots: list[ShotFacts], analysis) -> list[float]:
        """Per shot, the seconds a cue of its main sentence may take: those of the run of shots
        around it that the same words describe (their cues merge into one) and the overrun past
        the run's last cut."""
        if not shots:
            return []
        phrases = [main_phrase(facts) for facts in shots]
        overrun = ReadabilityRules.max_overrun_frames / (analysis.info.fps or 25)
        rooms, first = [], 0
        for i in range(len(shots) + 1):
            if i == len(shots) or phrases[i] != phrases[first]:
                rooms += [analysis.shots[i - 1].end - analysis.shots[first].start + overrun] * (i - first)
                first = i
        return rooms

    def describe(self, facts: ShotFacts, before: list[ShotFacts], said: list[list[str]],
                 last: Optional[int], room: Optional[float] = None) -> list[str]:
        """`last`: the shot before this one that was last described (last_described); `room`:
        the seconds its cue may take (the shot and the overrun past its cut), if known: a main
        sentence that cannot be read in them is said with less detail (who), rather than lost
        to the next shot's cue; so is one too long for a cue's lines, rather than cut short.""" 
        if "colour bars" in facts.segments:
            return ["Colour bars."]
        if "fade out" in facts.segments:  # technical.fades: always into black
            return ["Fade to black."]
        if "black" in facts.segments:
            return ["A black screen."]
        if "plain" in facts.segments and not facts.text and len(colours := facts.colours.get("frame", [])) == 1:
            return [f"A plain {'dark ' if facts.dark_backdrop else ''}{colours[0]} screen."]
        if "credits" in facts.segments:
            names = " / ".join(line["text"] for line in facts.text[:2])
            return ["The end credits roll.", f'They read "{names}".']
        out = []
        titles = unquoted(facts, "title", said, last)
        if titles:
            style = title_style(facts)
            out.append(f'Title{" " + style if style else ""}: "{" ".join(titles)}"')
        # Where and in what light, once: not again for each shot that follows in the same.
        known = last is not None and _light_and_place(facts) == _light_and_place(before[last])
        phrase_of = lambda f, detail=3: main_phrase(f, detail, known)
        phrase = phrase_of(facts)
        if phrase and (not titles or 0 < facts.text_share < TITLE_OVER_SCENE):
            said_now = sentence(self.in_context(phrase, facts, before, said, last, phrase_of))
            for detail in (2, 1, 0):
                fits = wrap(said_now, ReadabilityRules()) is not None
                if fits and (room is None or len(said_now) <= room * ReadabilityRules.max_cps):
                    break
                said_now = sentence(self.in_context(phrase_of(facts, detail), facts, before, said, last, phrase_of))
            out.append(said_now)
        elif not out and facts.lighting == "dark":
            out.append("A dark shot.")
        # "On screen", not "a sign": the line may be a sign in the scene (bikes' taxi) or drawn over
        # the picture (the title of movie-hello's slide).
        lines = [f'On screen: "{t}".' for t in unquoted(facts, "sign", said, last)]
        lines += [f'A caption reads "{t}".' for t in unquoted(facts, "caption", said, last)]
        out += lines
        camera, moving_on = facts.camera, False
        if moved := sure_camera_move(camera):
            verb, direction = moved.split()
            move = f"The camera {verb}s {direction}."
            moving_on = _move_told(facts, before, said, move)
            if not moving_on:
                out.append(move)
        elif camera.get("camera") == "static" and camera.get("subject_moving") and out == lines:
            out.append("Something moves through the frame.")  # also beside a line of text: minions' web address
        # Nothing named but where the view is (a window), yet a viewer still sees a picture: say what
        # was measured of it.
        bare = not (out or moving_on) or (out == [sentence(phrase)] and phrase in SETTING_THINGS)
        colours_of = lambda key: _colours_as_said(facts, before, last, key)
        if bare and (subject := colours_of("subject")):
            still = "A still view of " if camera.get("camera") == "static" else ""
            out.append(sentence(f"{still}something {join_names(subject)} against {background(facts.colours['backdrop'])}"))
        elif bare and (colours := colours_of("frame")):
            still = "A still view, mostly " if camera.get("camera") == "static" else "Mostly "
            out.append(sentence(still + join_names(colours)))
        elif bare and (colours := colours_of("mixed")):  # no colour has a quarter of the frame
            still = "A still view in " if camera.get("camera") == "static" else "A view in "
            out.append(sentence(still + join_names(colours)))
        # Once, where the picture loses its colour, after what it shows (a short shot's cue may hold
        # only its first sentence); a card of white letters on black is no picture.
        if out and facts.colours.get("monochrome") and not facts.text \
                and not (last is not None and before[last].colours.get("monochrome")):
            out.append("In black and white.")
        return out

    def in_context(self, phrase: str, facts: ShotFacts, before: list[ShotFacts], said, last: Optional[int],
                   phrase_of=main_phrase) -> str:
        """`phrase_of`: how the shots before are put, to compare with `phrase` (main_phrase)."""
        if not before:
            return phrase
        previous = phrase_of(before[-1] if last is None else before[last])
        if phrase == previous:
            return said[last][0].rstrip(".") if last is not None else phrase  # same words: the cues merge
        if facts.continues and last is not None and _still(facts) == _still(before[last]):
            # The same take, and only a smile or a hand to the face came or went: what came is an
            # event ("The person smiles."); what went is not worth a cue (the last words again,
            # which merge).
            was = before[last].people
            events = (["smiles"] if facts.people.get("smiling") and not was.get("smiling") else []) + \
                (["talks"] if facts.people.get("talking") and not was.get("talking") else []) + \
                (["raises a hand to the face"] if _at_face(facts.people) and not _at_face(was) else [])
            return definite(suited_name(facts) or "a person") + " " + " and ".join(events) if events else said[last][0].rstrip(".")
        if facts.continues:  # the same take, something changed
            return "now " + phrase
        if facts.like_shot is not None and facts.like_shot < len(before) - 1 \
                and phrase_of(before[facts.like_shot]) == phrase:
            return "back to " + definite(phrase)
        place, last_place = facts.setting.get("place"), before[-1].setting.get("place")
        if place and last_place and place != last_place:
            return "a new scene: " + phrase
        return phrase


def _colours_as_said(facts: ShotFacts, before: list[ShotFacts], last: Optional[int], key: str) -> list[str]:
    """The shot's colours of kind `key` (frame, subject, mixed), in the order the last part of the
    same take said them where they are the same colours: near shares that swap places are no change
    (tree.avi's "green, white and grey", then "green, grey and white")."""
    colours = facts.colours.get(key) or []
    was = (before[last].colours.get(key) or []) if facts.continues and last is not None else []
    return was if colours and set(colours) == set(was) else colours


def _move_told(facts: ShotFacts, before: list[ShotFacts], said: list[list[str]], move: str) -> bool:
    """Whether the same take's parts before this one, all moving as it does, told `move`: the move
    is still going (a title came on mid-tilt), and is not told again."""
    if not facts.continues:
        return False
    for k in range(len(before) - 1, -1, -1):
        if sure_camera_move(before[k].camera) != sure_camera_move(facts.camera):
            return False
        if move in said[k]:
            return True
        if not before[k].continues:
            return False
    return False


def _light_and_place(facts: ShotFacts) -> tuple:
    return facts.setting.get("where"), facts.setting.get("place"), facts.setting.get("time_of_day"), facts.lighting


def _at_face(people: dict) -> bool:
    return bool((people.get("hands") or {}).get("at_face"))


def _still(facts: ShotFacts) -> str:
    """The main phrase without what a face and hands do (smiles, talks, a hand to the face)."""
    return main_phrase(replace(facts, people={k: v for k, v in facts.people.items()
                                              if k not in ("smiling", "talking", "hands")}))


# --- the LSTM narrator -------------------------------------------------------------------------

DEFAULT_MODEL = str(Path(__file__).resolve().parents[2] / "models" / "vidcap-lstm-v2")
# The narrator that scored best on the development set (samples/dev; see the model card).
DEFAULT_NARRATOR = "rules"
_QUOTED = re.compile(r'"([^"]*)"')
_TOKEN = re.compile(r"<(?:text|obj)\d>|[a-z0-9']+(?:-[a-z0-9']+)*|[.,:;!?/]")


def shot_objects(facts: ShotFacts) -> list[str]:
    """What the shot's detections are called, in order: the LSTM's object slots <objN>."""
    return [object_phrase(o) for o in facts.objects if o["name"] != "person"]


def tokenize(sentences: list[str], texts: list[str], objects: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Lower-case word tokens; quoted on-screen text becomes <textN>, N its line in the shot's
    facts, since the model cannot spell what OCR read but can say where it goes. A quote of
    several lines joined by " / " (credits) becomes their placeholders joined by "/". Likewise
    a detected object's phrase ("two cars") becomes <objN>, N its place in `objects`: the
    model learns where objects are said, and the shot's detections say which."""
    def placeholder(match):
        lines = match.group(1).split(" / ")
        if all(line in texts[:10] for line in lines):
            return " " + " / ".join(f"<text{texts.index(line)}>" for line in lines) + " "
        return " "
    # Every sentence ends in a stop, so sentences can be told apart again after decoding.
    ended = [s if s.rstrip().endswith((".", "!", "?")) else s.rstrip() + "." for s in sentences if s.strip()]
    joined = _QUOTED.sub(placeholder, " ".join(ended))
    for n, phrase in sorted(enumerate(objects), key=lambda item: -len(item[1])):
        joined = re.sub(rf"\b{re.escape(phrase)}\b", f" <obj{n}> ", joined, flags=re.IGNORECASE)
    return _TOKEN.findall(joined.lower())


def detokenize(tokens: list[str], texts: list[str], objects: tuple[str, ...] | list[str] = ()) -> list[str]:
    """Tokens back to sentences, with on-screen text and objects filled in and sentence case.
    A sentence whose slot has nothing to fill it in this shot is left out whole ("A sign
    reads." says nothing true), and so is one that breaks off ("A person in a."); special
    tokens are never printed."""
    sentences, words, missing = [], [], False
    for token in tokens + ["."]:
        if token.startswith("<obj"):
            index = int(token[4:-1])
            missing |= index >= len(objects)
            token = objects[index] if index < len(objects) else ""
        elif token.startswith("<text"):
            index = int(token[5:-1])
            missing |= index >= len(texts)
            token = f'"{texts[index]}"' if index < len(texts) else ""
        elif token.startswith("<"):  # <pad>, <bos>, <unk>...
            continue
        if token:
            words.append(token)
        if token in (".", "!", "?"):
            text = ""
            for k, word in enumerate(words):
                if word in ("a", "an") and k + 1 < len(words):  # the article agrees with what follows
                    word = "an" if words[k + 1][:1].lower() in "aeiou" else "a"
                text += word if word in ".,:;!?" or not text else " " + word
            text = re.sub(r'" / "', " / ", text)
            if words[-3:-2] == [":"] and text.endswith('".'):  # 'Title: "X"': its full stop is the
                text = text[:-1]  # cues' to add where a sentence follows (cues.said_together), as for the rules
            # A text sentence needs its text: "Title:." or "A sign reads." without it is false.
            says_text = words[-2:-1] == [":"] or bool({"reads", "read"} & set(words))
            # "A person in a.", "An animal on.", "An an animal."
            broken = len(words) < 2 or words[-2] in DANGLING or any(a == b for a, b in zip(words, words[1:]))
            if not missing and not broken and (not says_text or '"' in text):
                sentences.append(text)
            words, missing = [], False
    return [sentence(s) if not s.endswith(":") else s[:1].upper() + s[1:] for s in sentences]


@dataclass
class NarrationState:
    """Everything carried from one chunk of frames to the next."""
    encoder: Optional[tuple] = None  # the encoder LSTM's (h, c)
    shot: int = -1  # the shot whose frames are being gathered
    outputs: list = field(default_factory=list)  # its encoder outputs so far
    facts: Optional[list] = None  # its fact vector
    previous: list = field(default_factory=list)  # word ids of the last thing said
    objects: list = field(default_factory=list)  # per shot, what fills its object slots
    grounded: Optional[list] = None  # per shot, the words its facts back (None: any word)


class LstmNarrator:
    def __init__(self, model, vocab: list[str], name: str, chunk: int = 256):
        self.model, self.vocab, self.name = model, vocab, name
        self.device = next(model.parameters()).device
        self.index = {w: i for i, w in enumerate(vocab)}
        self.chunk = chunk

    @classmethod
    def load(cls, folder: str = DEFAULT_MODEL, **kwargs) -> "LstmNarrator":
        import torch

        from .model import load_checkpoint

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model, vocab, _ = load_checkpoint(folder, device)
        return cls(model, vocab, f"lstm:{os.path.basename(os.path.normpath(folder))}", **kwargs)

    def narrate(self, shots: list[ShotFacts], analysis) -> list[list[str]]:
        said = self.narrate_inputs(frame_inputs(analysis, shots), [[t["text"] for t in f.text] for f in shots],
                                   [shot_objects(f) for f in shots], [f.words() for f in shots])
        if not any(said):
            # Footage unlike its training films can leave the model silent throughout (4 of the
            # 20 dev clips); an empty file tells the reader nothing, so the teacher speaks instead.
            return RulesNarrator().narrate(shots, analysis)
        return said

    def narrate_inputs(self, inputs, texts: list[list[str]], objects: Optional[list[list[str]]] = None,
                       grounded: Optional[list[set]] = None) -> list[list[str]]:
        """Sentences per shot from frame_inputs(), `chunk` frames at a time, the state handed on.
        `texts` and `objects` fill each shot's slots. With `grounded` (per shot, the words its
        facts back: ShotFacts.words), each shot's words are chosen only among those, function
        words and the slots it can fill."""
        said: dict[int, list[str]] = {}
        state = NarrationState(objects=objects or [[] for _ in texts], grounded=grounded)
        for start in range(0, len(inputs[0]), self.chunk):
            part = [a[start:start + self.chunk] for a in inputs]
            state = self.narrate_frames(*part, texts, state, said)
        self.finish(texts, state, said)
        return [said.get(i, []) for i in range(len(texts))]

    def allowed(self, words: set, texts: list[str], objects: list[str]):
        """The vocabulary mask for one shot: punctuation, function words, the slots it can fill
        and words that `words` back."""
        import torch

        def ok(token: str) -> bool:
            if token.startswith("<text"):
                return int(token[5:-1]) < len(texts)
            if token.startswith("<obj"):
                return int(token[4:-1]) < len(objects)
            return not token.startswith("<") and all(w in words for w in content_words(token))
        return torch.tensor([ok(t) for t in self.vocab], dtype=torch.bool, device=self.device)

    def narrate_frames(self, features, facts, starts, shot_ids, texts, state: NarrationState,
                       said: dict) -> NarrationState:
        """Encode one chunk of consecutive frames, continuing from `state`; every shot that ends
        inside the chunk is described into `said`. Returns the state for the next chunk."""
        import torch

        as_tensor = lambda a: torch.as_tensor(a, dtype=torch.float32, device=self.device)[None]
        facts = facts[:, :self.model.dims.n_facts]  # a model of a shorter fact vector (PERSON_FACTS) reads its start
        with torch.inference_mode():
            outputs, state.encoder = self.model.encode(as_tensor(features), as_tensor(facts),
                                                       as_tensor(starts), state.encoder)
        for output, shot, shot_facts in zip(outputs[0], shot_ids, facts):
            if shot != state.shot:
                self.finish(texts, state, said)
                state.shot, state.outputs, state.facts = int(shot), [], shot_facts
            state.outputs.append(output)
        return state

    def finish(self, texts, state: NarrationState, said: dict):
        import torch

        if not state.outputs:
            return
        memory = torch.stack(state.outputs)[None]
        mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=self.device)
        previous = torch.tensor([state.previous or [0]], device=self.device)
        facts = torch.as_tensor(state.facts, dtype=torch.float32, device=self.device)[None]
        shot_texts, objects = texts[state.shot], state.objects[state.shot]
        allowed = self.allowed(state.grounded[state.shot], shot_texts, objects) if state.grounded else None
        words = [self.vocab[i] for i in self.model.generate(memory, mask, previous, facts, allowed)]
        said[state.shot] = detokenize(words, shot_texts, objects)
        if words:
            state.previous = [self.index.get(w, 3) for w in words]
        state.outputs = []


def frame_inputs(analysis, shots: list[ShotFacts]):
    """Per sampled frame: CNN features, its shot's fact vector, 1 where a shot begins, shot index."""
    from ..analysis.facts import fact_vector

    shot_ids = np.zeros(len(analysis.times), int)
    for i, shot in enumerate(analysis.shots):
        shot_ids[analysis.frames_in(shot)] = i
    vectors = np.stack([fact_vector(f, i) for i, f in enumerate(shots)])
    first = np.r_[True, shot_ids[1:] != shot_ids[:-1]].astype(np.float32)
    return analysis.features, vectors[shot_ids], first, shot_ids


def get_narrator(name: str):
    """'rules', 'lstm' (the shipped model) or a model folder."""
    if name == "rules":
        return RulesNarrator()
    folder = name[len("lstm:"):] if name.startswith("lstm:") else name if name != "lstm" else DEFAULT_MODEL
    if not os.path.isdir(folder):
        raise VidcapError(f"unknown narrator {name!r}: use 'rules', 'lstm' or a model folder")
    return LstmNarrator.load(folder)
