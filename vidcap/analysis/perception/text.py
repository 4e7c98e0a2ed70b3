"""On-screen text: a cheap text-presence check on every sampled frame, then PP-OCRv4 (the ONNX
models bundled in rapidocr-onnxruntime) only where text is likely. PP-OCR's detector can miss a
low-contrast sign that its recogniser reads fine, so the check's own candidate boxes are also
read directly. The check looks twice: for lines of sharp light/dark edges (titles, captions,
credits) and for lines of coloured letters, which a sign's red on grey can hide from the first
look (same brightness, clear colour)."""

import re
from difflib import SequenceMatcher
from functools import lru_cache

import cv2
import numpy as np

from ..features import cpu_threads
from .objects import intersection

MIN_SCORE = 0.8


def text_candidates(gray: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """Boxes (x, y, w, h, estimated characters) that look like a line of text: a wide, short
    run of high-contrast edges with many vertical strokes across it."""
    h, w = gray.shape
    gradient = cv2.morphologyEx(gray, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, mask = cv2.threshold(gradient, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    if mask.mean() > 0.35 * 255:  # texture everywhere: no text line stands out
        return []
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    boxes = []
    for contour in contours:
        x, y, bw, bh = cv2.boundingRect(contour)
        if not (7 <= bh <= 0.35 * h and bw >= 2.0 * bh and bw < 0.98 * w):
            continue
        chars = int(round(bw / (0.6 * bh)))
        if chars >= 2 and _strokes(mask, gray, x, y, bw, bh) >= 0.8 * chars:
            boxes.append((x, y, bw, bh, chars))
    return boxes


SMALL_LETTERS = 12  # pixels: a run this high or less may have its strokes counted on its ink


def _strokes(mask: np.ndarray, gray: np.ndarray, x: int, y: int, w: int, h: int) -> float:
    """Text has many strokes: the letters crossed along the middle rows of a run, counted on its
    edges, or for small letters, whose edges run together, on its ink. Letters SMALL_LETTERS
    high, bold ones most, fill the edge mask solid: movie-hello's title "Hello world..." (a 720p
    screen recording at analysis size) crossed 5 edges for an estimated 13 letters, and 15.5
    strokes of ink. Taller runs are left to their edges: on the bench film, with every run's ink
    counted, OCR's detector ran 20 times, not 11, and the film's cues did not change; with small
    runs' alone, 11 times, and the recogniser read 175 crops, not 165."""
    rows = slice(h // 3, h - h // 3)
    band = mask[y:y + h, x:x + w][rows] > 0
    edges = np.mean(np.sum(band[:, 1:] & ~band[:, :-1], axis=1))
    if h > SMALL_LETTERS:
        return edges
    _, ink = cv2.threshold(gray[y:y + h, x:x + w], 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    ink = ink[rows] > 0
    return max(edges, np.mean(np.sum(ink[:, 1:] != ink[:, :-1], axis=1)) / 2)


def colour_text_candidates(image: np.ndarray, min_chroma: int = 12) -> list[tuple[int, int, int, int, int]]:
    """Boxes (x, y, w, h, letters) of three or more coloured blobs of one height standing on
    one line, in a BGR frame."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.int16)
    chroma = (np.abs(lab[:, :, 1] - 128) + np.abs(lab[:, :, 2] - 128)).clip(0, 255).astype(np.uint8)
    chroma = cv2.GaussianBlur(chroma, (3, 3), 0)
    level, _ = cv2.threshold(chroma, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    _, mask = cv2.threshold(chroma, max(level, min_chroma), 255, cv2.THRESH_BINARY)
    frame_h = mask.shape[0]
    stats = cv2.connectedComponentsWithStats(mask)[2][1:]
    # Bold letters are wide and neighbours sometimes touch, so a blob may be up to 2x as wide as high.
    letters = sorted((int(x), int(y), int(w), int(h)) for x, y, w, h, area in stats
                     if 7 <= h <= 0.35 * frame_h and 0.1 * h <= w <= 2 * h and area >= 0.2 * w * h)
    lines = []
    for letter in letters:
        x, y, _, h = letter
        for line in lines:
            lx, ly, lw, lh = line[-1]
            if (0.67 <= h / lh <= 1.5 and abs((ly + lh / 2) - (y + h / 2)) < 0.3 * lh
                    and 0 <= x - lx - lw < 0.8 * lh):
                line.append(letter)
                break
        else:
            lines.append([letter])
    boxes = []
    for line in (line for line in lines if len(line) >= 3):
        top, bottom = min(b[1] for b in line), max(b[1] + b[3] for b in line)
        right = line[-1][0] + line[-1][2]
        boxes.append((line[0][0], top, right - line[0][0], bottom - top, len(line)))
    return boxes


@lru_cache(maxsize=1)
def _engine():
    import logging

    from rapidocr_onnxruntime import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return RapidOCR(intra_op_num_threads=min(2, cpu_threads()), inter_op_num_threads=1)


def _clean(text: str) -> str:
    # The bundled recogniser also knows Chinese; films here are read in Latin script.
    text = re.sub(r"[^\x20-\x7e\u00c0-\u024f’‘“”—–]", "", text)
    # A number set close after a word is its own word ("EINFACH2" is minions' "Einfach ... 2").
    text = re.sub(r"\b([^\W\d_]{3,})(\d+)\b", r"\1 \2", text)
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def trim_heap():
    """Hand freed heap back to the system (glibc). OCR runs onnxruntime on inputs of ever-changing
    sizes, which leaves glibc's heap fragmented and growing with the film's length: 200 reads of
    varying sizes took the process from 408 to 825 MB, and with this after each read from 134
    to 137 MB; a 2-hour film peaked at 2306 MiB against 463 MiB for 10 minutes."""
    if (libc := _libc()) is not None:
        libc.malloc_trim(0)


def read_text(image: np.ndarray, boxes: list[tuple[int, int, int, int, int]]) -> list[dict]:
    """Lines of text in a BGR frame: {"text", "score", "box": [x, y, w, h] in frame fractions}.
    The recogniser reads the candidate boxes first (cheap); only when it reads something does
    the full detector run (costly), to find whole lines the boxes cut or missed."""
    h, w = image.shape[:2]
    engine = _engine()
    crops = []
    for x, y, bw, bh, _ in boxes:
        pad = max(2, bh // 3)
        crop = image[max(0, y - pad):y + bh + pad, max(0, x - pad):x + bw + pad]
        crops.append(cv2.resize(crop, None, fx=48 / crop.shape[0], fy=48 / crop.shape[0],
                                interpolation=cv2.INTER_CUBIC))
    recognised = engine.text_rec(crops)[0] if crops else []
    found = [(_clean(r[0]), float(r[1]), box[:4]) for r, box in zip(recognised, boxes)]
    if not any(_readable(text, score) for text, score, _ in found):
        return []
    scale = max(1.0, 480 / h)  # small frames read better enlarged
    big = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else image
    for quad, text, score in engine(big)[0] or []:
        xs, ys = [p[0] / scale for p in quad], [p[1] / scale for p in quad]
        found.append((_clean(text), float(score), (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))))
    lines = [{"text": text, "score": round(score, 3),
              "box": [round(x / w, 3), round(y / h, 3), round(bw / w, 3), round(bh / h, 3)],
              "colour": letter_colour(image, (x, y, bw, bh))}
             for text, score, (x, y, bw, bh) in found if _readable(text, score)]
    return _drop_fragments(best_readings(lines))


LETTER_CONTRAST = 40  # Lab distance from the background at which a pixel is part of a letter
LETTER_SHARE = 0.6  # of the letters' pixels that one colour name needs


def letter_colour(image: np.ndarray, box: tuple) -> str | None:
    """The colour name of a line's letters (setting.COLOUR_NAMES): the pixels of its box that
    stand apart from the median of the box's edge, the background; None where the background
    is no one colour (text over a picture) or the letters are no one colour."""
    from .setting import COLOUR_NAMES, colour_labels

    x, y, bw, bh = (int(round(v)) for v in box)
    pad = max(2, bh // 4)
    crop = image[max(0, y - pad):y + bh + pad, max(0, x - pad):x + bw + pad]
    if min(crop.shape[:2]) < 6:
        return None
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB).astype(np.float32)
    edge = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    background = np.median(edge, axis=0)
    if np.mean(np.linalg.norm(edge - background, axis=1) > LETTER_CONTRAST) > 0.2:
        return None
    distance = np.linalg.norm(lab - background, axis=2)
    if not 0.05 <= np.mean(distance > LETTER_CONTRAST) <= 0.6:
        return None
    # The cores of the strokes: their edges blend into the background, more so after chroma subsampling.
    letters = distance > max(LETTER_CONTRAST, 0.5 * np.percentile(distance, 95))
    shares = np.bincount(colour_labels(cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)[letters]), minlength=len(COLOUR_NAMES))
    top = int(np.argmax(shares))
    return COLOUR_NAMES[top] if shares[top] >= LETTER_SHARE * letters.sum() else None


def _readable(text: str, score: float) -> bool:
    return score >= MIN_SCORE and sum(c.isalnum() for c in text) >= 2


def reading_key(text: str) -> str:
    return "".join(text.upper().split())


def _same_line(a: str, b: str) -> bool:
    """Two readings of one line: equal but for spaces, or nearly ("AB 4. JULI IM KINO" and
    "AB 4.JULI M KINO" read off one title card)."""
    a, b = reading_key(a), reading_key(b)
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.85


def best_readings(lines: list[dict]) -> list[dict]:
    """One reading per line of text, with `reads`: how many readings agreed on it letter for letter
    (spaces aside); readings that nearly agree are of the same line but do not vouch for its
    spelling (a title read twice mid-reveal: "The Blender Foundatio", "The Blender Foundati").
    The reading with more common words wins (minions' "AB 4.JULI IM KINO" over "AB 4. JULI M
    KINO"); then, since the recogniser sometimes loses the space between two words or a letter at
    an edge and never invents one, the one with more spaces between words, then the longer, then
    the surer one."""
    groups: list[list[dict]] = []
    for line in lines:
        same = next((g for g in groups if _same_line(g[0]["text"], line["text"])), None)
        if same is None:
            groups.append([line])
        else:
            same.append(line)
    best = []
    for group in groups:
        kept = max(group, key=lambda l: (common_words(l["text"]), len(WORD_GAP.findall(l["text"])), len(l["text"]),
                                         l["score"]))
        best.append({**kept, "reads": sum(reading_key(l["text"]) == reading_key(kept["text"]) for l in group)})
    return best


WORDS = re.compile(r"[^\W\d_]{2,}")  # the words of a line that a word list can judge: two letters or more
WORD_GAP = re.compile(r"(?<=\w) (?=\w)")  # a space between words; one beside a mark ("/ nverbessrlich") may be a lost letter
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt")  # word lists that wordfreq ships
MIN_ZIPF = 1.5  # wordfreq's Zipf scale: 1.5 is a word met about 3 times in 100 million


# OCR's slips on a common word are set right when the word it read is none, and one edit away
# (a letter changed, lost, added or swapped) or one lost space from a common word, or two:
# "WAICHING" -> "WATCHING", "THANKSFOR" -> "THANKS FOR". Only words of SPELL_LENGTH letters or
# more, only to a word this common, and only where the best mending beats the next by
# SPELL_MARGIN: a rare name is not turned into a common word it resembles. ("JNVERBESSERLICH"
# stays unshown: "unverbesserlich" is rarer than SPELL_ZIPF.)
SPELL_LENGTH = 5
SPELL_ZIPF = 3.0
SPELL_MARGIN = 1.0
LETTERS = "abcdefghijklmnopqrstuvwxyzäöüßàâçéèêëîïôûùœñ"


def _frequency(word: str) -> float:
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word, lang) for lang in LANGUAGES)


@lru_cache(maxsize=4096)
def _mendings(word: str) -> dict[str, float]:
    """Common words and word pairs one slip away from `word`, with how common (the rarer of a pair).
    Kept per word: a title read in several windows, and again by word_times, is mended once."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1:] for a, b in splits if b} | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1} \
        | {a + c + b[1:] for a, b in splits if b for c in LETTERS} | {a + c + b for a, b in splits for c in LETTERS}
    found = {e: f for e in edits - {word} if (f := _frequency(e)) >= SPELL_ZIPF}
    for a, b in splits[2:-2]:
        if (f := min(_frequency(a), _frequency(b))) >= SPELL_ZIPF:
            found[a + " " + b] = f
    return found


def _in_case_of(mended: str, read: str) -> str:
    return mended.upper() if read.isupper() else mended.capitalize() if read[:1].isupper() else mended


def spelled(line: dict) -> dict | None:
    """A line read, fit to show, with OCR's slips set right, or None: every word in it of two
    letters or more must be a word (or name) of a common language, or mended into one, unless
    two readings agreed on the line. OCR's misreadings that are no words and cannot be mended
    ("HVSICIAAT.PIATIAG-LIVE" for "MUSICIANS PLAYING LIVE") are not shown; a line with no word
    at all ("18") needs two readings."""
    if line.get("reads", 1) >= 2:
        return line
    words = WORDS.findall(line["text"])
    if not words:
        return None
    text = line["text"]
    for word in words:
        if _frequency(word.lower()) >= MIN_ZIPF:
            continue
        if len(word) < SPELL_LENGTH:
            return None
        ranked = sorted(_mendings(word.lower()).items(), key=lambda kv: -kv[1])
        if not ranked or (len(ranked) > 1 and ranked[0][1] - ranked[1][1] < SPELL_MARGIN):
            return None
        text = re.sub(rf"(?<![^\W\d_]){re.escape(word)}(?![^\W\d_])", _in_case_of(ranked[0][0], word), text, count=1)
    words = WORDS.findall(text)  # as mended
    if len(words) >= 3 and _cut_short(words[-1], _language(words[:-1])):
        text = text[:text.rfind(words[-1])].rstrip(" ,;:-")
    return line if text == line["text"] else {**line, "text": text, "read_as": line["text"]}


def _language(words: list[str]) -> str:
    """The language of LANGUAGES in which `words` are likeliest, by their summed Zipf frequencies."""
    from wordfreq import zipf_frequency

    return max(LANGUAGES, key=lambda lang: sum(zipf_frequency(w.lower(), lang) for w in words))


CUT_MARGIN = 2.0  # Zipf: how much commoner than a line's last word a word it begins must be


@lru_cache(maxsize=1024)
def _cut_short(word: str, language: str) -> bool:
    """Whether a line's last word is the start of a longer word, cut short: rare in the line's
    language (under SPELL_ZIPF), where a word it begins is CUT_MARGIN commoner. A title revealed
    from left to right, read half-shown: trailer_bbb's "Peach Project prese!" (presents), whose
    "prese" is a word only in Italian (Zipf 4.8; English 1.6)."""
    from wordfreq import top_n_list, zipf_frequency

    word = word.lower()
    rarity = zipf_frequency(word, language)
    if len(word) < 3 or rarity >= SPELL_ZIPF:
        return False
    return any(w.startswith(word) and len(w) > len(word) and zipf_frequency(w, language) >= rarity + CUT_MARGIN
               for w in top_n_list(language, 20000))


def is_words(line: dict) -> bool:
    return spelled(line) is not None


def _common(word: str) -> bool:
    """A common word (SPELL_ZIPF) of a language in LANGUAGES, by wordfreq's small lists (25 MB
    for the seven, where the full lists that spelled() reads take 250 MB): for the checks made
    during analysis, before the facts."""
    from wordfreq import zipf_frequency

    return max(zipf_frequency(word.lower(), lang, wordlist="small") for lang in LANGUAGES) >= SPELL_ZIPF


def common_words(text: str) -> int:
    """How many of the words of two letters or more in `text` are common (_common)."""
    return sum(map(_common, WORDS.findall(text)))


def plainly_words(text: str) -> bool:
    """Whether every word of two letters or more in `text` is common (_common)."""
    return all(map(_common, WORDS.findall(text)))


STILL_LINE = 0.005  # of the frame's height, about a pixel of the analysed frame: OCR's box jitter


def lines_stay(reads: list[dict]) -> bool:
    """Whether the lines of text read at two moments (OCR entries, {"time", "lines"}) all stood at
    the same height in both: a title over a picture the camera tilts across (the trailer's "The
    Blender Foundation / Peach Project presents", read twice since a word was cut short, both lines
    0.000 apart), not credits rolling up (every line moves: the generated roll's slowest 0.006-0.014
    between reads half a second apart). Lines cut by the frame's top edge are not compared."""
    def tops(entry):
        return {line["text"][:8].lower(): line["box"][1] for line in entry["lines"] if line["box"][1] >= STILL_LINE}

    ordered = sorted(reads, key=lambda e: e["time"])
    for first, later in zip(ordered, ordered[1:]):
        before, after = tops(first), tops(later)
        moves = [abs(after[key] - top) for key, top in before.items() if key in after]
        if moves and max(moves) < STILL_LINE:
            return True
    return False


NEW_LINE_CHARS = 4  # letters the text check counts beyond those already on screen where it sees a new line come


def text_onsets(ocr: list[dict], shot, times: np.ndarray, chars: np.ndarray, keep: float = 0.5) -> list[float]:
    """When each new line of words came on screen in a shot: from the first sampled frame OCR
    read it on (a line no earlier reading in the shot matched), back over the frames before while
    the text check (`chars` per sampled frame at `times`) still counts at least `keep` of what it
    counted there, and more than it counted for the lines already on screen (their median since
    the last onset). OCR reads one frame per stretch of a shot, so a title that fades in mid-shot
    is read seconds after it appears; and a line already there (minions' web address, on screen
    from the start) must not pull a title that comes 13 s later back to the shot's start. Only the
    first onset where the shot's lines all move between reads (lines_stay): rolling credits, whose
    every name is new when read, are one stretch."""
    if not len(times):
        return []
    entries = sorted((e for e in ocr if shot.holds(e["time"])), key=lambda e: e["time"])
    seen, onsets = [], []
    for entry in entries:
        new = [l["text"] for l in entry["lines"]
               if is_words(l) and not any(_same_line(l["text"], old) for old in seen)]
        if not new:
            continue
        seen += new
        i = min(int(np.searchsorted(times, entry["time"] - 1e-6)), len(times) - 1)
        earliest = onsets[-1] if onsets else shot.start
        before = chars[(times >= earliest) & (times < times[i])]
        level, floor = keep * chars[i], float(np.median(before)) if onsets and len(before) else 0.0
        if onsets and chars[i] < floor + NEW_LINE_CHARS:  # the check did not see it come: since when
            onsets.append(float(entry["time"]))  # it was there is not known, only that it is now
            continue
        while i > 0 and times[i - 1] >= earliest and chars[i - 1] > floor and chars[i - 1] >= level:
            i -= 1
        onsets.append(float(times[i]))
    return onsets if len(onsets) < 2 or lines_stay([e for e in entries if e["lines"]]) else onsets[:1]


def _drop_fragments(lines: list[dict]) -> list[dict]:
    """A word read from a candidate box is often a piece of a line the detector read whole:
    its text part of that line's, or its box inside that line's (a second, worse reading of
    some of its letters: "Blenc" inside "The Blender Foundation")."""
    kept = []
    for line in sorted(lines, key=lambda l: -len(l["text"])):
        y, h = line["box"][1], line["box"][3]
        part = reading_key(line["text"])
        if not any(part in reading_key(k["text"]) and abs(k["box"][1] - y) < max(h, k["box"][3])
                   or _inside(line["box"], k["box"]) >= INSIDE for k in kept):
            kept.append(line)
    return kept


INSIDE = 0.8  # share of a line's box within a longer line's that makes it a piece of that line


def _inside(box: list[float], outer: list[float]) -> float:
    """The share of `box` (x, y, w, h) that lies within `outer`."""
    area = box[2] * box[3]
    return intersection(box, outer) / area if area > 0 else 0.0
