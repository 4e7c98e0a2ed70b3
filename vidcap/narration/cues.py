"""Cues stage: what to say per shot -> timed subtitle cues that obey readability rules.

Times are handled in whole milliseconds (SRT's resolution) so the rules still hold exactly
after the file is written."""

import math
import textwrap
from dataclasses import dataclass, field
from typing import Optional


# Words that cannot end a sentence ("in" can: "The camera zooms in.")
DANGLING = {"a", "an", "the", "and", "or", "of", "with", "by", "at", "to", "from", "through", "on", "into",
            "onto", "over", "under", "near", "beside", "behind", "against", "mostly"}


@dataclass(frozen=True)
class ReadabilityRules:
    max_line_chars: int = 42
    max_lines: int = 2
    min_duration: float = 5 / 6  # seconds on screen
    max_duration: float = 7.0
    max_cps: float = 17.0  # characters per second, spaces and punctuation included
    min_gap_frames: int = 2  # between consecutive cues
    max_overrun_frames: int = 12  # how far a cue may run past a shot cut to stay readable

    def gap_ms(self, fps: float) -> int:
        """The least time between two cues, in whole milliseconds."""
        return math.ceil(self.min_gap_frames * 1000 / (fps if fps > 0 else 25))

    def reading_ms(self, text: str) -> int:
        """How long a cue of `text` stays up at least: time to read it, and never under min_duration."""
        return max(math.ceil(self.min_duration * 1000), math.ceil(len(text) * 1000 / self.max_cps))


@dataclass
class Span:
    """A stretch of video (one shot or several) and the sentences to say over it."""
    start: float
    end: float
    sentences: list[str]
    carried: bool = False  # what an earlier cue of the same span had no room for
    # Per sentence, the (start, end) of the shot it describes: a merged span keeps them, so a
    # sentence is never said over a later shot once its own has passed. Defaults to the span.
    origins: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self):
        if len(self.origins) != len(self.sentences):
            self.origins = [(self.start, self.end)] * len(self.sentences)

    def still_showing(self, time: float) -> "Span":
        """The span with only the sentences whose shot has not ended by `time`."""
        keep = [i for i, (_, end) in enumerate(self.origins) if end > time]
        return Span(self.start, self.end, [self.sentences[i] for i in keep], self.carried,
                    [self.origins[i] for i in keep])


@dataclass
class Cue:
    start: float
    end: float
    text: str  # lines joined by "\n"


def wrap(text: str, rules: ReadabilityRules) -> Optional[str]:
    """Break text into at most max_lines lines of max_line_chars, as even as possible; None if
    it does not fit."""
    text = " ".join(text.split())
    if len(text) <= rules.max_line_chars:
        return text
    for width in range(math.ceil(len(text) / rules.max_lines), rules.max_line_chars + 1):
        lines = textwrap.wrap(text, width, break_long_words=False)
        if len(lines) <= rules.max_lines and all(len(l) <= rules.max_line_chars for l in lines):
            return "\n".join(lines)
    return None


def said_together(sentences: list[str]) -> str:
    """Sentences as one text: one that ends in a quotation (a title) takes a full stop where
    another follows it ('Title: "An unlucky bird". An animal.')."""
    return " ".join(s + "." if s.endswith('"') and i + 1 < len(sentences) else s for i, s in enumerate(sentences))


def fit_text(sentences: list[str], rules: ReadabilityRules) -> Optional[str]:
    """As many sentences as fit the lines and can be read within the longest cue, in order; a
    first sentence too long on its own is cut at a word boundary and marked with an ellipsis."""
    most_chars = int(rules.max_cps * rules.max_duration)

    def fitted(text):
        lines = wrap(text, rules)
        return lines if lines is not None and len(lines) <= most_chars else None

    best = None
    for n in range(1, len(sentences) + 1):
        if (text := fitted(said_together(sentences[:n]))) is None:
            break
        best = text
    if best is None and sentences:
        text = " ".join(sentences[0].split())
        # cut after a word that can end the phrase: "...a blue background…", not "...and a…"
        word_ends = [i for i, ch in enumerate(text) if ch == " "
                     and text[:i].split()[-1].strip(",;:").lower() not in DANGLING][::-1]
        for cut in word_ends + list(range(min(len(text), rules.max_line_chars - 1), 0, -1)):
            if (best := fitted(text[:cut].rstrip(" ,;:") + "…")) is not None:
                break
    return best


def readable_in(sentences: list[str], room_ms: int, rules: ReadabilityRules) -> int:
    """How many of the sentences, from the first, one cue can hold and be read in `room_ms`; 0: none."""
    return next((n for n in range(len(sentences), 0, -1)
                 if (text := fit_text(sentences[:n], rules)) and rules.reading_ms(text) <= room_ms), 0)


def _rank(sentence: str) -> int:
    """When shots too short for their own cue share one, what to say first: on-screen text,
    then who and what is there, then camera moves and unnamed motion."""
    if '"' in sentence:
        return 0
    if sentence.startswith(("A still view", "Mostly ", "A view in ")):  # the narrator's last resort: colours
        return 3
    return 2 if sentence.startswith(("The camera", "Something moves")) else 1


def _joined(first: Span, second: Span) -> Span:
    """One span for two neighbours too short for their own cues; the sentences ordered by
    _rank (shot order within a rank), each keeping the shot it came from."""
    said = dict(zip(first.sentences, first.origins))
    for text, (start, end) in zip(second.sentences, second.origins):
        said[text] = (said[text][0], end) if text in said else (start, end)
    ordered = sorted(said.items(), key=lambda item: _rank(item[0]))
    return Span(first.start, second.end, [t for t, _ in ordered], origins=[o for _, o in ordered])


def _sentences_in(text: str, sentences: list[str]) -> int:
    """How many of the sentences, from the first, a cue's text holds whole."""
    said = " ".join(text.split())
    return max((n for n in range(len(sentences) + 1) if " ".join(said_together(sentences[:n]).split()) == said),
               default=0)


def make_cues(spans: list[Span], duration: float, fps: float,
              rules: ReadabilityRules = ReadabilityRules()) -> list[Cue]:
    """Shots in time order -> cues. A span too short for a readable cue of its text is merged
    with the next one (or, at the end, the previous one); with no neighbour to share a cue,
    its first sentence runs on into the silent shots after it. A sentence is said only while
    its own shot, or a merged span holding it, is on screen; what finds no room is listed by
    unsaid()."""
    ms = lambda seconds: int(round(seconds * 1000))
    gap = rules.gap_ms(fps)
    overrun = int(rules.max_overrun_frames * 1000 / (fps if fps > 0 else 25))
    max_ms = int(rules.max_duration * 1000)
    end_ms = int(duration * 1000)

    pending = [Span(ms(s.start), min(ms(s.end), end_ms), s.sentences) for s in spans
               if s.sentences and ms(s.start) < end_ms]
    merged: list[Span] = []
    for span in pending:
        # Consecutive shots described alike become one span: the same sentences, or the shot
        # before's less what only it showed (a camera move), which would otherwise be said again
        # ("Indoors, two people, in the dark. The camera zooms in." then "Indoors, two people, in the dark.").
        last = merged[-1] if merged else None
        if last and last.sentences[:len(span.sentences)] == span.sentences and span.start - last.end <= gap:
            last.end = span.end
            last.origins = [(o[0], span.end) if k < len(span.sentences) else o for k, o in enumerate(last.origins)]
        else:
            merged.append(span)

    cues: list[tuple[int, int, str, Span]] = []
    i = 0
    while i < len(merged):
        start = max(merged[i].start, cues[-1][1] + gap if cues else 0)
        span = merged[i] = merged[i].still_showing(start)
        limit = min(span.end + overrun, end_ms)
        text = fit_text(span.sentences, rules)
        if span.carried and (n := readable_in(span.sentences, limit - start, rules)):
            text = fit_text(span.sentences[:n], rules)  # only its own span's time is left
        if not text:
            i += 1
            continue
        need = rules.reading_ms(text)
        cut = span.end - gap if span.end < end_ms else end_ms
        end = max(min(cut, start + max_ms), start + need)
        said = max(1, _sentences_in(text, span.sentences))
        rest, rest_origins = span.sentences[said:], span.origins[said:]
        if rest and start + need + gap < span.end:  # what did not fit follows, in the same span
            end = start + need
        if end <= limit:
            cues.append((start, end, text, span))
            i += 1
            if rest and end + gap < span.end:
                merged.insert(i, Span(end + gap, span.end, rest, carried=True, origins=rest_origins))
        elif span.carried:
            i += 1  # no time left in its own span: dropped rather than said over later shots
        elif i + 1 < len(merged) and merged[i + 1].start - span.end <= gap:
            merged[i + 1] = _joined(span, merged[i + 1])  # too short: say it with the next shot
            i += 1
        elif i + 1 == len(merged) and (fewer := readable_in(span.sentences[:-1], limit - start, rules)):
            # The video ends here: what can be read in the time left, rather than sharing the
            # previous cue, which would show these sentences before their shot has begun.
            merged[i] = Span(span.start, span.end, span.sentences[:fewer], span.carried, span.origins[:fewer])
        elif cues and span.start - cues[-1][3].end <= gap:
            merged[i] = _joined(cues.pop()[3], span)  # or with the previous one
        elif (first := fit_text(span.sentences[:1], rules)) and (run_on := start + rules.reading_ms(first) + gap) <= (
                merged[i + 1].start + overrun if i + 1 < len(merged) else end_ms):
            # No neighbour to share a cue with, but shots with nothing to say follow: its first
            # sentence runs on into them for just as long as it takes to read (and the next cue
            # may start up to the overrun late).
            merged[i] = Span(span.start, run_on, span.sentences[:1], origins=[(span.start, run_on)])
        else:
            i += 1  # too short to say anything readable

    if not cues and (first := next((fit_text(s.sentences[:1], rules) for s in merged), None)):
        # A video too short to read anything in would leave an empty file, which players refuse
        # and which tells the reader nothing: its first sentence stays up for as long as it takes
        # to read, past the video's end only when the whole video is shorter than that.
        start = max(0, min(merged[0].start, end_ms - rules.reading_ms(first)))
        cues.append((start, start + rules.reading_ms(first), first, merged[0]))

    out: list[Cue] = []
    for start, end, text, _ in cues:
        if out and out[-1].text == text and start - out[-1].end <= gap + overrun:
            out[-1].end = min(out[-1].start + max_ms / 1000, end / 1000)
        else:
            out.append(Cue(start / 1000, end / 1000, text))
    return out


def unsaid(spans: list[Span], cues: list[Cue]) -> list[dict]:
    """The sentences of each span that no cue overlapping it says (whole, or cut short with an
    ellipsis), as {"start", "end", "text"}: what the reader was not told, reported in the JSON."""
    missing = []
    for span in spans:
        near = [" ".join(c.text.split()) for c in cues if c.start < span.end and c.end > span.start]
        for text in span.sentences:
            if not any(text in said or (said.endswith("…") and text.startswith(said[:-1].rstrip()))
                       for said in near):
                missing.append({"start": round(span.start, 3), "end": round(span.end, 3), "text": text})
    return missing
