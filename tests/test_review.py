"""Issue 13: the review pages, rendered by headless Chromium (Debian `chromium`, installed by
`make setup`): what vidcap saw and said, shot by shot, and the batch's page."""

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import cv2
import pytest

from vidcap.cli import main
from vidcap.narration.review import clock, file_url


def chromium(*args: str, timeout: float = 60) -> str:
    """Headless Chromium's stdout (a DOM dump); fails the test when it is not installed."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "chromium is not installed: run `make setup` (Debian: apt-get install chromium)"
    run = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--mute-audio", *args], capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


class Tags(HTMLParser):
    """Every start tag of a page, as (tag, attributes), and the text of each element by class."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def of(self, tag: str, cls: str | None = None) -> list[dict]:
        return [a for t, a in self.tags if t == tag and (cls is None or cls in (a.get("class") or "").split())]


@pytest.fixture(scope="module")
def bikes_page(real, tmp_path_factory):
    folder = tmp_path_factory.mktemp("page")
    assert main(["describe", real["bikes"], "-o", str(folder / "bikes.srt"), "--report"]) == 0
    return folder


def test_the_page_for_bikes_shows_its_shots_cues_and_plays_the_film(bikes_page):
    page = bikes_page / "bikes.html"
    dom = chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri())
    tags = Tags(dom)
    body = tags.of("body")[0]
    cues = (bikes_page / "bikes.srt").read_text().count(" --> ")
    # The film plays in the page, with the cues as its track.
    assert body.get("data-player") == "ready", "Chromium could not load the film"
    assert body.get("data-track-cues") == str(cues)
    assert len(tags.of("li", "cue")) == cues
    shots = tags.of("article", "shot")
    assert len(shots) == 6  # bikes: hard cuts at 1.20, 3.04, 5.48, 7.48, 9.68 s
    thumbnails = [a for a in tags.of("img") if a.get("src", "").startswith("data:image/jpeg;base64,")]
    assert len(thumbnails) == 6
    assert len(tags.of("div", "box")) >= 3  # the people, cars and bicycle the detector boxed
    assert [float(a["data-t"]) for a in shots][1] == pytest.approx(1.2, abs=0.05)
    assert "On screen: &quot;TAXI&quot;" in page.read_text() or 'On screen: "TAXI"' in dom
    # Nothing is fetched from the network: every source is inline or the film beside.
    assert not re.search(r'(src|href)="(https?:)?//', page.read_text())

    # A link to a moment seeks the player there, and the cue and shot on screen then are marked.
    moment = chromium("--virtual-time-budget=10000", "--dump-dom", page.as_uri() + "#t=4.2")
    tags = Tags(moment)
    assert tags.of("body")[0].get("data-time") == "4.20"
    current = [a for a in tags.of("li", "current") + tags.of("article", "current")]
    assert len(current) == 2 and all(float(a["data-t"]) <= 4.2 < float(a["data-end"]) for a in current)

    screenshot = bikes_page / "bikes.png"
    chromium("--window-size=1400,1800", "--virtual-time-budget=5000", f"--screenshot={screenshot}", page.as_uri())
    image = cv2.imread(str(screenshot))
    assert image is not None and image.shape[:2] == (1800, 1400) and image.std() > 20


def test_clicking_a_cue_or_a_shot_seeks_the_player_there(bikes_page):
    """Real clicks (Playwright driving the same Chromium): the player jumps to the cue's or the
    shot's start, and that cue or shot is then the one marked as on screen."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"),
                                         args=["--no-sandbox", "--mute-audio"])
        try:
            page = browser.new_page()
            page.goto((bikes_page / "bikes.html").as_uri())
            page.wait_for_function("document.body.dataset.player === 'ready'", timeout=20_000)
            for selector, index in (("li.cue", -1), ("article.shot", 4), ("li.cue", 0)):
                target = page.locator(selector).nth(index if index >= 0 else page.locator(selector).count() - 1)
                start = float(target.get_attribute("data-t"))
                target.click()
                page.wait_for_function(f"Math.abs(document.querySelector('video').currentTime - {start}) < 0.05",
                                       timeout=10_000)
                assert page.evaluate(f"document.querySelector('{selector}.current').dataset.t") == target.get_attribute("data-t")
        finally:
            browser.close()


def test_when_the_film_has_moved_the_page_says_so(real, tmp_path):
    film = tmp_path / "film.mp4"
    shutil.copyfile(real["bikes"], film)
    assert main(["describe", str(film), "-o", str(tmp_path / "film.html")]) == 0
    film.unlink()
    tags = Tags(chromium("--virtual-time-budget=5000", "--dump-dom", (tmp_path / "film.html").as_uri()))
    assert tags.of("body")[0].get("data-player") == "error"
    missing = tags.of("p", "missing")
    assert missing and "hidden" not in missing[0] and len(tags.of("article", "shot")) == 6


def test_names_and_text_from_the_film_are_escaped(clips, tmp_path):
    """A file name and a cue that hold markup come out as text: the page's one script stays the only one."""
    from vidcap.narration.writers import get_writer
    from vidcap.pipeline import Options, describe_video

    hostile = tmp_path / "<img src=x onerror=alert(1)> & \"quotes\" 'too'.mp4"
    shutil.copyfile(clips["cuts.mp4"], hostile)
    result = describe_video(str(hostile), Options(narrator="rules"))
    result.cues[0].text = "</li><script>alert(2)</script>"
    result.facts[0].text = [{"text": "<b onmouseover=alert(3)>HOTEL</b>", "kind": "sign", "score": 0.9,
                             "box": [0, 0, 0.1, 0.1], "colour": None}]
    html = get_writer("html", str(tmp_path / "page.html")).format(result)
    tags = Tags(html)
    assert len(tags.of("script")) == 1
    assert all(a["src"].startswith("data:image/jpeg;base64,") for a in tags.of("img"))
    assert all("onerror" not in a and "onmouseover" not in a for _, a in tags.tags)
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert tags.of("video")[0]["src"] == file_url(str(hostile), str(tmp_path / "page.html"))


def test_the_batch_page_lists_good_and_failed_files_with_reasons(clips, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copyfile(clips["cuts.mp4"], inputs / "cuts.mp4")
    shutil.copyfile(clips["fade.mp4"], inputs / "fade.mp4")
    (inputs / "<b>not a film</b>.mp4".replace("/", "")).write_text("just text")
    out = tmp_path / "out"
    assert main(["batch", str(inputs), "-o", str(out), "--report", "--workers", "1"]) == 1
    assert main(["report", str(out)]) == 0
    assert sorted(p.name for p in out.glob("*.html")) == ["cuts.html", "fade.html", "report.html"]
    dom = chromium("--dump-dom", (out / "report.html").as_uri())
    tags = Tags(dom)
    rows = tags.of("tr", "video")
    assert [r["class"].split()[1] for r in rows] == ["failed", "done", "done"]
    links = [a["href"] for a in tags.of("a")]
    assert links == ["cuts.html", "fade.html"]
    assert "not a playable video" in dom or "not a video" in dom
    assert "&lt;b&gt;not a film&lt;b&gt;.srt" in dom
    capsys.readouterr()
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    assert "no batch journal" in capsys.readouterr().err


def test_clock():
    assert [clock(t) for t in (0, 12.345, 61.04, 3725)] == ["0:00.0", "0:12.3", "1:01.0", "1:02:05.0"]
