"""Command line: `vidcap describe VIDEO -o OUT.srt|.vtt|.json`."""

import argparse
import os
import sys

from . import __version__
from .errors import VidcapError
from .features import ENCODERS
from .writers import FORMATS


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vidcap", description="Describe what is on screen, "
                                     "when, as subtitles (SRT, WebVTT or JSON).")
    parser.add_argument("--version", action="version", version=f"vidcap {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    describe = sub.add_parser("describe", help="describe one video file")
    describe.add_argument("video")
    describe.add_argument("-o", "--output", help="output file (default: VIDEO with .srt)")
    describe.add_argument("--format", choices=FORMATS, help="default: from the output extension")
    describe.add_argument("--sample-fps", type=_positive(float), default=2.0,
                          help="frames per second through the CNN (default 2)")
    describe.add_argument("--decode-fps", type=_positive(float),
                          help="cap on decoded frames per second (default: every frame)")
    describe.add_argument("--encoder", choices=ENCODERS, default="efficientnet-lite0")
    describe.add_argument("--narrator", default="rules", help="default: rules")
    describe.add_argument("--no-cache", action="store_true", help="ignore the feature cache")
    describe.add_argument("--max-line-chars", type=_positive(int), default=42)
    describe.add_argument("--max-cps", type=_positive(float), default=17.0,
                          help="reading speed limit, characters per second")
    return parser


def run_describe(args):
    from .cues import ReadabilityRules
    from .pipeline import Options, describe_video
    from .writers import check_writable, format_for, write_result

    output = args.output or os.path.splitext(args.video)[0] + "." + (args.format or "srt")
    check_writable(output)
    fmt = format_for(output, args.format)
    rules = ReadabilityRules(max_line_chars=args.max_line_chars, max_cps=args.max_cps)
    options = Options(sample_fps=args.sample_fps, decode_fps=args.decode_fps,
                      encoder=args.encoder, narrator=args.narrator,
                      use_cache=not args.no_cache, rules=rules)
    result = describe_video(args.video, options)
    write_result(result, output, fmt)
    print(f"{output}: {len(result.cues)} cues over {len(result.shots)} shots", file=sys.stderr)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        {"describe": run_describe}[args.command](args)
    except VidcapError as e:
        print(f"vidcap: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vidcap: interrupted", file=sys.stderr)
        return 130
    return 0
