"""Dialogue cues (SDH): spoken words -> cues timed to the speech, under the same readability rules
as the descriptions; and the two merged, the descriptions placed where no one speaks."""

import math
import re

from .cues import Cue, ReadabilityRules, wrap

CONTENTS = ("descriptions", "speech", "both")  # --content: what the subtitles carry
PAUSE = 0.8  # seconds of silence that end a cue
SENTENCE_END = (".", "?", "!")
MIN_SENTENCE_CUE = 1.5  # seconds: a cue may end at a sentence's end once it is this long
NO_DIALOGUE = "[no dialogue]"
SENTENCES = re.compile(r'(?<=[.!?"])\s+(?=[A-Z"])')  # where one of the narrator's sentences ends


def _groups(words, rules: ReadabilityRules) -> list[list]:
    """Consecutive words in groups that fit one cue: broken at pauses, after sentences, and
    before the text would outgrow the lines or the speech the longest cue."""
    groups: list[list] = []
    for word in words:
        group = groups[-1] if groups else None
        if group:
            text = " ".join(w.text for w in group + [word])
            fits = wrap(text, rules) is not None and word.end - group[0].start <= rules.max_duration
            paused = word.start - group[-1].end > PAUSE
            said = group[-1].text.endswith(SENTENCE_END) and group[-1].end - group[0].start >= MIN_SENTENCE_CUE
            label = word.text.startswith("[") or group[-1].text.startswith("[")
            if fits and not paused and not said and not label:
                group.append(word)
                continue
        groups.append([word])
    return groups


def speech_cues(words, duration: float, fps: float, rules: ReadabilityRules = ReadabilityRules()) -> list[Cue]:
    """Cues of what is said: each starts as its first word is spoken (or, in fast speech, as soon
    as the one before has been on screen long enough to read) and stays up for as long as its
    words are spoken or it takes to read, whichever is longer."""
    gap = rules.gap_ms(fps) / 1000
    cues: list[Cue] = []
    for group in _groups(words, rules):
        text = wrap(" ".join(w.text for w in group), rules)
        need = rules.reading_ms(text) / 1000
        start = max(group[0].start, cues[-1].end + gap if cues else 0.0)
        end = max(group[-1].end, start + need)
        start = round(start, 3)
        cues.append(Cue(start, math.ceil(1000 * min(end, start + max(need, rules.max_duration))) / 1000, text))
    if cues and cues[-1].end > duration:  # the last words may be read past the end only when they must
        last = cues[-1]
        last.end = math.ceil(1000 * max(duration, last.start + rules.reading_ms(last.text) / 1000)) / 1000
    return cues


def merge(descriptions: list[Cue], dialogue: list[Cue], fps: float,
          rules: ReadabilityRules = ReadabilityRules()) -> tuple[list[Cue], list[Cue]]:
    """Dialogue first; each description moved into the silence within its own time where it can
    be read there, else left out. Returns (cues in time order, descriptions left out)."""
    gap = rules.gap_ms(fps) / 1000
    placed, left_out = list(dialogue), []
    for cue in descriptions:
        busy = sorted((c.start - gap, c.end + gap) for c in placed if c.end + gap > cue.start and c.start - gap < cue.end)
        free, at = [], cue.start
        for start, end in busy:
            if start > at:
                free.append((at, start))
            at = max(at, end)
        if at < cue.end:
            free.append((at, cue.end))
        # The whole cue where it can be read, else its first sentences (the narrator puts what
        # matters most first), the rest left out.
        sentences = SENTENCES.split(" ".join(cue.text.split()))
        for n in range(len(sentences), 0, -1):
            text = wrap(" ".join(sentences[:n]), rules)
            need = rules.reading_ms(text) / 1000
            spot = next(((a, b) for a, b in free if b - a >= need + 0.002), None)  # + the rounding to ms
            if spot:
                start = math.ceil(1000 * spot[0]) / 1000
                end = math.floor(1000 * min(spot[1], start + max(need, cue.end - cue.start))) / 1000
                placed.append(Cue(start, end, text))
                if n < len(sentences):
                    left_out.append(Cue(cue.start, cue.end, " ".join(sentences[n:])))
                break
        else:
            left_out.append(cue)
    return sorted(placed, key=lambda c: c.start), left_out


def no_dialogue(duration: float, rules: ReadabilityRules = ReadabilityRules()) -> Cue:
    """What speech-only subtitles say of a film where no one speaks: never an empty file."""
    return Cue(0.0, round(max(rules.min_duration, min(duration, rules.max_duration)), 3), NO_DIALOGUE)
