"""Writers stage: the described video as SRT, WebVTT or JSON, written atomically (a temporary
file in the same folder, renamed over the target), so a crash never leaves half a file."""

import contextlib
import datetime
import json
import os
import re
import tempfile

import srt

from ..errors import VidcapError

FORMATS = ("srt", "vtt", "json", "html")


# The temporary file atomic_write renames into place: ".NAME.<8 random chars>.tmp" (mkstemp).
PARTIAL_FILE = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")


def atomic_write(path: str, content: str | bytes):
    with atomic_file(path) as f:
        f.write(content.encode("utf-8") if isinstance(content, str) else content)


@contextlib.contextmanager
def atomic_file(path: str):
    """A binary file to write `path` through: renamed into place when the block ends, removed if it fails."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: str):
    """Fail before hours of work, not after."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise VidcapError(f"{path}: is a directory, not an output file")
    if not os.path.isdir(folder):
        raise VidcapError(f"{path}: output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise VidcapError(f"{path}: cannot write here (permission denied)")


def _lines(text: str) -> str:
    """A cue's text without blank lines, which would end the cue in SRT and WebVTT."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


# Text read off the picture may hold what subtitle players take as markup. SRT has no escapes, so
# the signs change to lookalikes: no "<b>" or "{\an8}" styling, no "-->" read as a timing line.
# WebVTT escapes its tags; braces change there too, as players and converters to ASS obey "{\an8}".
NO_OVERRIDES = {"{": "(", "}": ")"}
SRT_SAFE = str.maketrans({"<": "‹", ">": "›", **NO_OVERRIDES})
VTT_SAFE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **NO_OVERRIDES})


class SrtWriter:
    extension = "srt"

    def format(self, result) -> str:
        return srt.compose([
            srt.Subtitle(i, datetime.timedelta(seconds=c.start), datetime.timedelta(seconds=c.end),
                         _lines(c.text).translate(SRT_SAFE))
            for i, c in enumerate(result.cues, 1)])


def vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


class VttWriter:
    extension = "vtt"

    def format(self, result) -> str:
        blocks = ["WEBVTT"]
        for i, c in enumerate(result.cues, 1):
            blocks.append(f"{i}\n{vtt_time(c.start)} --> {vtt_time(c.end)}\n{_lines(c.text).translate(VTT_SAFE)}")
        return "\n\n".join(blocks) + "\n"


class JsonWriter:
    extension = "json"

    def format(self, result) -> str:
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


class HtmlWriter:
    """The review page: one self-contained HTML file (thumbnails inline, no network request) with
    the shots, each with its thumbnail, the detector's boxes, the facts and what was said of it;
    the cues; and a player for the film with the cues as its track, where the film can be reached
    from the page (`path`: where the page will be written). Rendered with Jinja2, autoescaped."""
    extension = "html"

    def __init__(self, path: str | None = None):
        self.path = path

    def format(self, result) -> str:
        from .review import film_page

        return film_page(result, self.path)


def get_writer(fmt: str, path: str | None = None):
    """The writer for a format; `path`, where its output goes, matters to the review page only."""
    writers = {"srt": SrtWriter, "vtt": VttWriter, "json": JsonWriter, "html": HtmlWriter}
    if fmt not in writers:
        raise VidcapError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return writers[fmt](path) if fmt == "html" else writers[fmt]()


def format_for(path: str, fmt: str | None = None) -> str:
    """The format named, else the one the output's extension implies."""
    if fmt:
        return fmt.lower()
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        raise VidcapError(f"{path}: cannot tell the format from the extension; "
                          f"use .srt, .vtt, .json or .html, or --format")
    return ext


def write_result(result, path: str, fmt: str | None = None):
    text = get_writer(format_for(path, fmt), path).format(result)
    try:
        atomic_write(path, text)
    except OSError as e:
        raise VidcapError(f"{path}: cannot write: {e.strerror or e}") from e
