"""The review pages (issue 13): what vidcap saw and said, shot by shot, as self-contained HTML
rendered with Jinja2 (autoescaped: file names and text read off the picture are escaped)."""

import base64
import os
import urllib.parse
from functools import lru_cache

from ..analysis.perception.objects import COCO, SEEN


@lru_cache(maxsize=1)
def _templates():
    import jinja2

    folder = os.path.join(os.path.dirname(__file__), "templates")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True,
                              undefined=jinja2.StrictUndefined)


def clock(seconds: float) -> str:
    """12.345 -> "0:12.3"; 3725 -> "1:02:05.0"."""
    tenths = int(round(seconds * 10))
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return (f"{hours}:{minutes:02d}" if hours else f"{minutes}") + f":{rest // 10:02d}.{rest % 10}"


def file_url(target: str, page: str | None) -> str:
    """How the page at `page` links to the file `target`: relative, so that the folder can move."""
    base = os.path.dirname(os.path.abspath(page)) if page else os.getcwd()
    return urllib.parse.quote(os.path.relpath(os.path.abspath(target), base).replace(os.sep, "/"))


def _data_url(kind: str, content: bytes) -> str:
    return f"data:{kind};base64,{base64.b64encode(content).decode()}"


def _facts_rows(facts) -> list[tuple[str, str]]:
    """A shot's facts as (label, value) lines, the ones that were measured."""
    rows = []
    people = facts.people
    if people.get("count") or people.get("framing"):
        details = [people.get("framing") or "", "facing the camera" if people.get("facing") else "",
                   people.get("action") or ""]
        rows.append(("people", ", ".join([str(people.get("count", 0))] + [d for d in details if d])))
    if facts.objects:
        rows.append(("objects", ", ".join(f"{o['count']}× {o['name']} ({o['where']}, {o['score']:.2f})"
                                          for o in facts.objects)))
    for line in facts.text:
        colour = f", {line['colour']}" if line.get("colour") else ""
        rows.append((f"text ({line['kind']}{colour})", f"“{line['text']}” ({line['score']:.2f})"))
    if facts.concepts:
        rows.append(("classifier", ", ".join(f"{c['name']} ({c['score']:.2f})" for c in facts.concepts)))
    camera = facts.camera
    if camera.get("camera") not in (None, "unknown"):
        moving = ", something moves" if camera.get("subject_moving") else ""
        rows.append(("camera", f"{camera['camera']} ({camera.get('confidence', 0):.2f}){moving}"))
    setting = facts.setting
    place = [setting.get(k) for k in ("where", "time_of_day", "place") if setting.get(k) not in (None, "unknown")]
    if place:
        rows.append(("setting", ", ".join(place)))
    colours = facts.colours.get("frame") or facts.colours.get("mixed") or []
    backdrop = f"; backdrop {facts.colours['backdrop']}" if facts.colours.get("backdrop") else ""
    rows.append(("light, colour", f"{facts.lighting} (luma {facts.brightness:.0f}); {', '.join(colours) or '—'}{backdrop}"))
    if facts.segments:
        rows.append(("segments", ", ".join(facts.segments)))
    if facts.like_shot is not None:
        rows.append(("looks like", f"shot {facts.like_shot + 1} ({facts.likeness:.2f})"))
    return rows


def _boxes(look: list, named: set[str]) -> list[dict]:
    """A look's detections as boxes in percent of the thumbnail; those the shot named drawn solid."""
    boxes = []
    for cls, score, x, y, w, h in look:
        if score < SEEN:
            continue
        name = COCO[int(cls)]
        boxes.append({"x": round(100 * x, 2), "y": round(100 * y, 2), "w": round(100 * w, 2), "h": round(100 * h, 2),
                      "label": f"{name} {score:.2f}", "named": name in named})
    return boxes


def film_page(result, page: str | None = None) -> str:
    """The review page of one described film; `page` is where it will be written (for the links)."""
    from .writers import get_writer

    duration = result.duration or 1.0
    thumbnails = sorted(result.thumbnails, key=lambda t: t["time"])
    shots = []
    for shot, facts, sentences in zip(result.shots, result.facts, result.sentences or [[]] * len(result.shots)):
        inside = [t for t in thumbnails if shot.holds(t["time"])]
        before = [t for t in thumbnails if t["time"] < shot.start]
        thumbnail = inside[0] if inside else before[-1] if before else None
        named = {o["name"] for o in facts.objects} | ({"person"} if facts.people.get("count") else set())
        shots.append({
            "start": round(shot.start, 3), "end": round(shot.end, 3), "cut": shot.cut,
            "start_label": clock(shot.start), "end_label": clock(shot.end),
            "share": round(100 * (shot.end - shot.start) / duration, 3),
            "thumbnail": _data_url("image/jpeg", thumbnail["jpeg"]) if thumbnail else None,
            "thumbnail_label": clock(thumbnail["time"]) if thumbnail else "",
            "boxes": _boxes(thumbnail["boxes"], named) if thumbnail and inside else [],
            "sentences": sentences, "facts": _facts_rows(facts)})
    cues = [{"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text,
             "start_label": clock(c.start), "end_label": clock(c.end)} for c in result.cues]
    info = result.info
    reachable = bool(info.path) and os.path.isfile(info.path)
    vtt = get_writer("vtt").format(result).encode("utf-8")
    return _templates().get_template("film.html").render(
        name=os.path.basename(info.path), video_path=info.path,
        video_src=file_url(info.path, page) if reachable else None,
        track_src=_data_url("text/vtt", vtt), duration=clock(result.duration),
        shot_count=result.shot_count, size=f"{info.width}×{info.height}", fps=f"{info.fps:g}",
        narrator=result.model.get("narrator", ""), shots=shots, cues=cues,
        unsaid=[{**u, "start_label": clock(u["start"])} for u in result.unsaid])


def batch_page(outdir: str, page: str) -> str:
    """The review page of a batch output folder: every video of its journal(s) with its status,
    duration, shots, cues, failures and their reasons, linking to its own page (or its output)."""
    from ..batch.batch import batch_entries
    from ..batch.journal import STATUSES
    from ..batch.workers import review_page

    videos = []
    for e in sorted(batch_entries(outdir), key=lambda e: (e.status != "failed", e.output)):
        output = os.path.join(outdir, e.output)
        own_page = review_page(output)
        link = own_page if os.path.isfile(own_page) else output if os.path.isfile(output) else None
        videos.append({"output": e.output, "source": e.source, "status": e.status, "attempts": e.attempts,
                       "error": e.error or "", "permanent": e.permanent,
                       "duration": clock(e.duration) if e.duration else "", "shots": e.shots, "cues": e.cues,
                       "seconds": f"{e.seconds:.1f}" if e.seconds else "",
                       "link": file_url(link, page) if link else None,
                       "is_page": link == own_page})
    counts = {s: sum(v["status"] == s for v in videos) for s in STATUSES}
    return _templates().get_template("batch.html").render(outdir=outdir, videos=videos, counts=counts)
