"""Command line: `vidcap describe VIDEO -o OUT.srt|.vtt|.json|.html`, `vidcap batch INPUT... -o OUTDIR`,
`vidcap status OUTDIR`, `vidcap report OUTDIR`, and training: `train`, `eval`, `convert`, `generate`."""

import argparse
import os
import sys

from . import __version__
from .errors import VidcapError
from .analysis.features import ENCODERS
from .narration.dialogue import CONTENTS
from .narration.narrator import DEFAULT_NARRATOR
from .narration.writers import FORMATS
from .batch.journal import JOURNAL_MODES


def _positive(kind):
    def parse(text):
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _add_job_options(parser: argparse.ArgumentParser):
    parser.add_argument("--sample-fps", type=_positive(float), default=2.0,
                        help="frames per second through the CNN (default 2)")
    parser.add_argument("--decode-fps", type=_positive(float),
                        help="cap on decoded frames per second (default: every frame)")
    parser.add_argument("--encoder", choices=ENCODERS, default="efficientnet-lite0")
    parser.add_argument("--narrator", default=DEFAULT_NARRATOR,
                        help=f"'lstm' (the shipped model), 'rules' (its teacher) or a model folder "
                             f"(default {DEFAULT_NARRATOR})")
    parser.add_argument("--no-cache", action="store_true", help="ignore the feature cache")
    parser.add_argument("--time-limit", type=_positive(float), metavar="SECONDS",
                        help="give up on a video that takes longer (default: 60 s plus 10 s per second of video)")
    parser.add_argument("--content", choices=CONTENTS, default="descriptions",
                        help="what the subtitles carry: what is seen (default), what is said (Whisper, offline), "
                             "or both (SDH: dialogue timed to the speech, descriptions where no one speaks)")
    parser.add_argument("--speech-model", metavar="NAME|DIR",
                        help="Whisper weights: base (default; multilingual), tiny.en (English only, twice as fast), "
                             "or a CTranslate2 Whisper model folder")
    parser.add_argument("--audio-track", type=int, default=0, metavar="N",
                        help="the audio stream speech is heard on, counted from 0 (default 0)")
    parser.add_argument("--max-line-chars", type=_positive(int), default=42)
    parser.add_argument("--max-cps", type=_positive(float), default=17.0,
                        help="reading speed limit, characters per second")


def _job_options(args):
    from .narration.cues import ReadabilityRules
    from .pipeline import Options

    rules = ReadabilityRules(max_line_chars=args.max_line_chars, max_cps=args.max_cps)
    return Options(sample_fps=args.sample_fps, decode_fps=args.decode_fps, encoder=args.encoder,
                   narrator=args.narrator, use_cache=not args.no_cache, rules=rules, time_limit=args.time_limit,
                   content=args.content, speech_model=args.speech_model, audio_track=args.audio_track,
                   analysis_workers=getattr(args, "analysis_workers", 1))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vidcap", description="Describe what is on screen, "
                                     "when, as subtitles (SRT, WebVTT or JSON).")
    parser.add_argument("--version", action="version", version=f"vidcap {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    describe = sub.add_parser("describe", help="describe one video file")
    describe.add_argument("video")
    describe.add_argument("-o", "--output", help="output file (default: VIDEO with .srt)")
    describe.add_argument("--format", choices=FORMATS, help="default: from the output extension")
    describe.add_argument("--report", action="store_true",
                          help="also write the review page (.html) beside the output")
    describe.add_argument("--overwrite", action="store_true",
                          help="replace an output file that vidcap did not write, or that was edited since "
                               "(a subtitle file made by hand); without it, such a file stops the run")
    describe.add_argument("--analysis-workers", type=_positive(int), default=1, metavar="N",
                          help="processes analysing a long film's 10-minute stretches at once (default 1; "
                               "the output is the same whatever N)")
    _add_job_options(describe)

    batch = sub.add_parser("batch", help="describe many videos into a folder: resumable, parallel",
                           description="Exit status: 0 every video has its output, 1 some failed, "
                                       "2 usage error, 3 another run holds OUTDIR.")
    batch.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="folders (searched for video files), globs, files, or manifests "
                            "(.csv or .jsonl: path, optional output, format, narrator, encoder, "
                            "sample_fps, decode_fps)")
    batch.add_argument("-o", "--output-dir", required=True, metavar="OUTDIR")
    batch.add_argument("--format", choices=FORMATS, default="srt")
    batch.add_argument("--report", action="store_true",
                       help="also write each video's review page (.html) beside its output; see `vidcap report`")
    batch.add_argument("--workers", type=_positive(int), help="worker processes or Ray actors "
                       "(default: one per two cores)")
    batch.add_argument("--engine", choices=["local", "ray"], default="local")
    batch.add_argument("--address", help="Ray cluster address (default: start Ray on this machine)")
    batch.add_argument("--retries", type=int, default=2,
                       help="times a video that failed for a passing reason is tried again (default 2)")
    batch.add_argument("--force", action="store_true", help="redo every video, done or not")
    batch.add_argument("--rebuild-journal", action="store_true",
                       help="set a damaged journal aside and start a new one from the outputs in OUTDIR")
    batch.add_argument("--shard", metavar="K/N", help="only the K-th of N parts (0-based), e.g. "
                       "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
    batch.add_argument("--journal-mode", choices=JOURNAL_MODES, default="auto",
                       help="SQLite journal mode of OUTDIR's journal; auto (default): delete (the rollback "
                       "journal) on a network filesystem or with --shard, else wal")
    _add_job_options(batch)

    status = sub.add_parser("status", help="summary of a batch output folder's journal")
    status.add_argument("output_dir", metavar="OUTDIR")

    report = sub.add_parser("report", help="review page of a batch output folder: every video, "
                            "its status and reasons, linking to its own page")
    report.add_argument("output_dir", metavar="OUTDIR")
    report.add_argument("-o", "--output", help="the page (default: OUTDIR/report.html)")

    train = sub.add_parser("train", help="train the LSTM narrator on videos with .srt beside them")
    train.add_argument("data", help="folder of videos, each with a .srt of the same name")
    train.add_argument("-o", "--output", required=True, help="model folder (resumed if it has a checkpoint)")
    train.add_argument("--epochs", type=_positive(int), default=30)
    train.add_argument("--lr", type=_positive(float), default=3e-3)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--sample-fps", type=_positive(float), default=2.0)
    train.add_argument("--videos-per-step", type=_positive(int), default=1,
                       help="videos whose next stretches one training step takes together (a GPU wants 32 or more)")

    evaluate = sub.add_parser("eval", help="score narrators against reference .srt files")
    evaluate.add_argument("data", help="folder of reference .srt files, each beside its video")
    evaluate.add_argument("--videos", help="folder holding the videos, when not beside the .srt files")
    evaluate.add_argument("--narrator", action="append", help="repeatable (default: lstm and rules)")
    evaluate.add_argument("-o", "--output", help="write the scores as JSON here too")
    evaluate.add_argument("--no-meteor", action="store_true", help="skip METEOR (it starts Java)")

    convert = sub.add_parser("convert", help="caption datasets to the video + .srt layout")
    convert.add_argument("format", choices=["msrvtt", "msvd", "activitynet"])
    convert.add_argument("annotations")
    convert.add_argument("videos", help="folder holding the dataset's video files")
    convert.add_argument("output", help="folder to fill with links to the videos and .srt files")

    generate = sub.add_parser("generate", help="make captioned videos with known content")
    generate.add_argument("output")
    generate.add_argument("--count", type=_positive(int), default=100)
    generate.add_argument("--seed", type=int, default=0)
    return parser


def run_train(args):
    from .pipeline import Options
    from .learning.train import train

    train(args.data, args.output, epochs=args.epochs, lr=args.lr, seed=args.seed,
          options=Options(sample_fps=args.sample_fps), videos_per_step=args.videos_per_step)


def run_eval(args):
    import json
    import os

    from .learning.datasets import load_folder
    from .learning.evaluate import concept_recall, evaluate, false_claims, table, unsupported
    from .pipeline import Options, describe_video
    from .narration.writers import atomic_write

    videos = load_folder(args.data, args.videos)
    listed = os.path.join(args.data, "clips.json")  # a development set's concept lists
    clips = json.load(open(listed)) if os.path.exists(listed) else {}
    rows, details = {}, {}
    for name in args.narrator or ["lstm", "rules"]:
        pairs, recalls, held_out, claims, bad, words, empty = [], [], [], {}, 0, 0, []
        for video in videos:
            result = describe_video(video.video, Options(narrator=name))
            pairs.append((video.cues, [(c.start, c.end, c.text) for c in result.cues]))
            said, file = " ".join(c.text for c in result.cues), os.path.basename(video.video)
            if clip := clips.get(file):
                recalls.append(concept_recall(said, clip["concepts"]))
                if not clip.get("tuned"):
                    held_out.append(recalls[-1])
                if wrong := false_claims(said, clip["present"]):
                    claims[file] = wrong
            n_bad, n_words = unsupported(result)
            bad, words = bad + n_bad, words + n_words
            if not result.cues:
                empty.append(file)
        row = evaluate(pairs, meteor=not args.no_meteor)
        row["unsupported"] = round(bad / words, 4) if words else 0.0
        row["empty"] = len(empty)
        if clips:
            row["concept_recall"] = round(sum(recalls) / len(recalls), 4) if recalls else 0.0
            if held_out:  # the clips that nothing was tuned on
                row["recall_held_out"] = round(sum(held_out) / len(held_out), 4)
            row["false_claims"] = sum(len(w) for w in claims.values())
        rows[result.model["narrator"]] = row
        details[result.model["narrator"]] = {"false_claims": claims, "empty": empty}
    print(table(rows))
    for narrator, found in details.items():
        for clip, wrong in found["false_claims"].items():
            print(f"{narrator}: {clip}: not there: {', '.join(wrong)}")
    if args.output:
        atomic_write(args.output, json.dumps({"scores": rows, "details": details}, indent=2) + "\n")


def run_convert(args):
    from .learning.datasets import CONVERTERS

    count = CONVERTERS[args.format](args.annotations, args.videos, args.output)
    print(f"{args.output}: {count} captioned videos", file=sys.stderr)


def run_generate(args):
    from .learning.synth import make_captioned_dataset

    make_captioned_dataset(args.output, args.count, args.seed)


def run_describe(args):
    from .pipeline import describe_video
    from .analysis.decode import probe
    from .batch.batch import UsageError
    from .cache import remember_written, written_by_vidcap
    from .narration.writers import check_writable, format_for, write_result

    output = args.output or os.path.splitext(args.video)[0] + "." + (args.format or "srt")
    check_writable(output)
    fmt = format_for(output, args.format)
    page = os.path.splitext(output)[0] + ".html" if args.report and fmt != "html" else None
    if page:
        check_writable(page)
    probe(args.video)  # a bad video is told before a file in the way
    for path in filter(None, (output, page)):
        if os.path.exists(path) and not args.overwrite and not written_by_vidcap(path):
            raise UsageError(f"{path}: exists and is not what vidcap last wrote there (made or edited "
                              "by hand?); pass --overwrite to replace it")
    result = describe_video(args.video, _job_options(args))
    for path, kind in ((output, fmt), (page, "html")):
        if path:
            write_result(result, path, kind)
            remember_written(path)
    shots = result.shot_count
    print(f"{output}: {len(result.cues)} cues over {shots} shot{'' if shots == 1 else 's'}", file=sys.stderr)


def run_batch(args) -> int:
    from .batch.batch import run_batch

    return run_batch(args.inputs, args.output_dir, _job_options(args), args.format, args.workers,
                     args.engine, args.address, args.retries, args.force, args.shard, args.rebuild_journal,
                     args.report, args.journal_mode)


def run_status(args):
    from .batch.batch import status_table

    print(status_table(args.output_dir))


def run_report(args):
    from .narration.review import batch_page
    from .narration.writers import atomic_write, check_writable

    output = args.output or os.path.join(args.output_dir, "report.html")
    page = batch_page(args.output_dir, output)
    check_writable(output)
    atomic_write(output, page)
    print(output, file=sys.stderr)


def main(argv=None) -> int:
    from .batch.batch import UsageError
    from .batch.journal import Busy

    args = build_parser().parse_args(argv)
    try:
        return {"describe": run_describe, "train": run_train, "eval": run_eval, "convert": run_convert,
                "generate": run_generate, "batch": run_batch, "status": run_status,
                "report": run_report}[args.command](args) or 0
    except (UsageError, Busy) as e:
        print(f"vidcap: error: {e}", file=sys.stderr)
        return 2 if isinstance(e, UsageError) else 3
    except VidcapError as e:
        print(f"vidcap: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("vidcap: interrupted", file=sys.stderr)
        return 130
