"""Training the LSTM narrator on captioned video (a folder of videos with .srt beside them):
features computed once and cached, CPU or CUDA, seeded, resumable, truncated back-propagation
through time over long videos, validation each epoch."""

import json
import math
import os
import random
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from ..analysis.facts import all_facts, fact_vector_size
from ..narration.model import BOS, EOS, PAD, SPECIALS, UNK, ModelDimensions, Narrator, load_checkpoint, save_checkpoint
from ..narration.narrator import LstmNarrator, detokenize, frame_inputs, shot_objects, tokenize
from ..pipeline import Options, analyse
from .datasets import CaptionedVideo, load_folder
from .evaluate import score


@dataclass
class Example:
    name: str
    inputs: tuple  # frame_inputs(): features, fact vectors, shot starts, shot ids
    texts: list[list[str]]  # on-screen text per shot
    objects: list[list[str]]  # what the shot's detections are called (narrator.shot_objects)
    targets: list[list[str]]  # tokens per shot; [] where the reference says nothing


def prepare(video: CaptionedVideo, options: Options = Options()) -> Example:
    analysis = analyse(video.video, options)
    facts, _ = all_facts(analysis)
    texts = [[t["text"] for t in f.text] for f in facts]
    objects = [shot_objects(f) for f in facts]
    targets = []
    for shot, shot_texts, shot_things in zip(analysis.shots, texts, objects):
        overlap = [(min(b, shot.end) - max(a, shot.start), text) for a, b, text in video.cues]
        best = max(overlap, default=(0, ""))
        targets.append(tokenize([best[1]], shot_texts, shot_things) if best[0] > 0.25 * (shot.end - shot.start) else [])
    features, *rest = frame_inputs(analysis, facts)  # a training set is held in memory, features too
    return Example(os.path.basename(video.video), (np.asarray(features), *rest), texts, objects, targets)


def build_vocab(examples: list[Example]) -> list[str]:
    return SPECIALS + sorted({w for e in examples for t in e.targets for w in t})


def ids(tokens: list[str], index: dict) -> list[int]:
    return [BOS] + [index.get(w, UNK) for w in tokens] + [EOS]


def _padded(rows: list[list[int]], device) -> torch.Tensor:
    width = max(len(r) for r in rows)
    return torch.tensor([r + [PAD] * (width - len(r)) for r in rows], device=device)


def stretches(shot_ids: np.ndarray, tbptt: int) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """A video's frames cut into stretches of whole shots of about `tbptt` frames (one shot longer
    than that is a stretch of its own): (first frame, end frame, [(first, end) of each shot])."""
    bounds = np.flatnonzero(np.r_[True, shot_ids[1:] != shot_ids[:-1], True])
    out, first = [], 0
    while first < len(bounds) - 1:
        last = first + 1
        while last < len(bounds) - 1 and bounds[last] - bounds[first] < tbptt:
            last += 1
        out.append((int(bounds[first]), int(bounds[last]),
                    [(int(bounds[k]), int(bounds[k + 1])) for k in range(first, last)]))
        first = last
    return out


@dataclass
class _Lane:
    """One video being trained on, stretch after stretch, in one row of a batch."""
    example: Example
    inputs: tuple  # its features, facts and shot starts as tensors
    left: list  # stretches() still to go
    state: tuple | None = None  # the encoder's (h, c) at the end of its last stretch
    previous: list = field(default_factory=lambda: [PAD])  # the words of its last cue


def loss_steps(model: Narrator, examples: list[Example], index: dict, tbptt: int, device, per_step: int = 1):
    """Yield one loss per step: the next stretch of each of `per_step` videos at once, their
    encoder states flowing on between stretches (truncated BPTT: gradients stop there), the
    sentences of all their shots decoded together. A video that ends gives its row to the next;
    the last steps are narrower. With per_step=1, video after video, stretch by stretch."""
    queue, lanes = list(examples), []
    while queue or lanes:
        while queue and len(lanes) < per_step:
            example = queue.pop(0)
            lanes.append(_Lane(example, tuple(torch.as_tensor(a, dtype=torch.float32, device=device)
                                              for a in example.inputs[:3]),
                               stretches(example.inputs[3], tbptt)))
        now = [lane.left.pop(0) for lane in lanes]
        lengths = [b - a for a, b, _ in now]
        width = max(lengths)
        rows = [[torch.nn.functional.pad(x[a:b], (0, 0) * (x.dim() - 1) + (0, width - (b - a)))
                 for x in lane.inputs] for lane, (a, b, _) in zip(lanes, now)]
        features, facts, starts = (torch.stack([row[k] for row in rows]) for k in range(3))
        states = [lane.state or (torch.zeros(1, model.dims.n_hidden, device=device),) * 2 for lane in lanes]
        state = tuple(torch.stack([s[k] for s in states], dim=1) for k in range(2))
        out, state = model.encode(features, facts, starts, state, lengths if len(lanes) > 1 else None)
        memories, previous_rows, shot_facts, targets = [], [], [], []
        for row, (lane, (a, _, shots)) in enumerate(zip(lanes, now)):
            lane.state = tuple(s[:, row].detach() for s in state)
            for first, end in shots:
                shot = int(lane.example.inputs[3][first])
                # Shots the reference leaves silent are trained too (BOS EOS), so the model learns
                # to say nothing rather than repeat what it said most often.
                memories.append(out[row, first - a: end - a])
                previous_rows.append(lane.previous)
                shot_facts.append(facts[row, first - a])
                targets.append(ids(lane.example.targets[shot], index))
                if lane.example.targets[shot]:
                    lane.previous = [index.get(w, UNK) for w in lane.example.targets[shot]]
        lanes = [lane for lane in lanes if lane.left]
        length = max(m.shape[0] for m in memories)
        memory = torch.stack([torch.nn.functional.pad(m, (0, 0, 0, length - m.shape[0])) for m in memories])
        mask = torch.stack([torch.arange(length, device=device) < m.shape[0] for m in memories])
        yield model.loss(memory, mask, _padded(previous_rows, device), torch.stack(shot_facts),
                         _padded(targets, device))


def validate(narrator: LstmNarrator, examples: list[Example]) -> dict:
    """Per-shot BLEU-4 of what the narrator says against the targets, where there is one, with
    on-screen text filled in on both sides; and the share of the targets' quoted lines that
    the narrator copied in (`ocr_copied`)."""
    pairs, quoted, copied = [], 0, 0
    for e in examples:
        said = narrator.narrate_inputs(e.inputs, e.texts, e.objects)
        for sentences, target, texts, objects in zip(said, e.targets, e.texts, e.objects):
            if not target:
                continue
            hypothesis = " ".join(sentences)
            pairs.append((" ".join(detokenize(target, texts, objects)), hypothesis))
            lines = {texts[int(t[5:-1])] for t in target if t.startswith("<text") and int(t[5:-1]) < len(texts)}
            quoted += len(lines)
            copied += sum(f'"{line}' in hypothesis or f'/ {line}' in hypothesis for line in lines)
    return {"bleu4": score(pairs, meteor=False).get("BLEU-4", 0.0), "shots": len(pairs),
            "ocr_copied": round(copied / quoted, 4) if quoted else None}


def _save_optimizer(optimizer, folder: str):
    from safetensors.torch import save_file

    state = optimizer.state_dict()
    tensors = {f"{i}.{k}": v.detach().cpu().contiguous() for i, s in state["state"].items()
               for k, v in s.items() if torch.is_tensor(v)}
    save_file(tensors, os.path.join(folder, ".optimizer.tmp"))
    os.replace(os.path.join(folder, ".optimizer.tmp"), os.path.join(folder, "optimizer.safetensors"))


def _load_optimizer(optimizer, folder: str):
    from safetensors.torch import load_file

    tensors = load_file(os.path.join(folder, "optimizer.safetensors"))
    state: dict = {}
    for key, value in tensors.items():
        i, name = key.split(".", 1)
        state.setdefault(int(i), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})


def train(data: str, out: str, epochs: int = 30, lr: float = 3e-3, seed: int = 0, val_share: float = 0.1,
          tbptt: int = 128, options: Options = Options(), dims: dict | None = None, videos_per_step: int = 1,
          log=print) -> dict:
    """`videos_per_step`: how many videos' stretches one optimiser step takes together
    (loss_steps); more keep a GPU busy."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    videos = load_folder(data)
    examples = [prepare(v, options) for v in tqdm(videos, desc="features", disable=None)]
    random.Random(seed).shuffle(examples)
    n_val = max(1, int(len(examples) * val_share)) if len(examples) > 1 else 0
    val, training = examples[:n_val], examples[n_val:]
    resume = os.path.exists(os.path.join(out, "train_state.json"))
    if resume:
        model, vocab, config = load_checkpoint(out, device)
        with open(os.path.join(out, "train_state.json")) as f:
            done = json.load(f)
    else:
        vocab = build_vocab(training)
        model = Narrator(ModelDimensions(n_features=training[0].inputs[0].shape[1],
                                         n_facts=fact_vector_size(), n_vocab=len(vocab), **(dims or {}))).to(device)
        done = {"epoch": 0, "history": []}
    index = {w: i for i, w in enumerate(vocab)}
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    if resume and os.path.exists(os.path.join(out, "optimizer.safetensors")):
        _load_optimizer(optimizer, out)
    narrator = LstmNarrator(model, vocab, "lstm")
    for epoch in range(done["epoch"] + 1, epochs + 1):
        model.train()
        for group in optimizer.param_groups:  # cosine decay, computed so a resumed run continues it
            group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
        total, steps = 0.0, 0
        random.Random(seed + epoch).shuffle(training)
        for loss in tqdm(loss_steps(model, training, index, tbptt, device, videos_per_step),
                         desc=f"epoch {epoch}/{epochs}", leave=False, disable=None):
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            total, steps = total + loss.item(), steps + 1
        model.eval()
        metrics = {"epoch": epoch, "train_loss": round(total / max(steps, 1), 4),
                   **({f"val_{k}": v for k, v in validate(narrator, val).items()} if val else {})}
        log(json.dumps(metrics))
        done = {"epoch": epoch, "history": done["history"] + [metrics]}
        save_checkpoint(model, vocab, out, {"trained_on": os.path.abspath(data), "videos": len(training),
                                            "metrics": metrics, "encoder": options.encoder,
                                            "sample_fps": options.sample_fps})
        _save_optimizer(optimizer, out)
        with open(os.path.join(out, "train_state.json"), "w") as f:
            json.dump(done, f, indent=1)
    return done["history"][-1] if done["history"] else {}
