"""Training the LSTM narrator on captioned video (a folder of videos with .srt beside them):
features computed once and cached, CPU or CUDA, seeded, resumable, truncated back-propagation
through time over long videos, validation each epoch."""

import json
import math
import os
import random
from dataclasses import dataclass

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


def video_loss_steps(model: Narrator, example: Example, index: dict, tbptt: int, device):
    """Yield the loss of each stretch of whole shots of about `tbptt` frames; the encoder state
    flows on between stretches but gradients stop there (truncated BPTT)."""
    features, facts, starts = (torch.as_tensor(a, dtype=torch.float32, device=device)
                               for a in example.inputs[:3])
    shot_ids = example.inputs[3]
    bounds = np.flatnonzero(np.r_[True, shot_ids[1:] != shot_ids[:-1], True])
    state, previous = None, [PAD]
    first = 0
    while first < len(bounds) - 1:
        last = first + 1
        while last < len(bounds) - 1 and bounds[last] - bounds[first] < tbptt:
            last += 1
        a, b = bounds[first], bounds[last]
        out, state = model.encode(features[None, a:b], facts[None, a:b], starts[None, a:b], state)
        memories, previous_rows, shot_facts, targets = [], [], [], []
        for k in range(first, last):
            shot = int(shot_ids[bounds[k]])
            # Shots the reference leaves silent are trained too (BOS EOS), so the model learns
            # to say nothing rather than repeat what it said most often.
            memories.append(out[0, bounds[k] - a: bounds[k + 1] - a])
            previous_rows.append(previous)
            shot_facts.append(facts[bounds[k]])
            targets.append(ids(example.targets[shot], index))
            if example.targets[shot]:
                previous = [index.get(w, UNK) for w in example.targets[shot]]
        state = tuple(s.detach() for s in state)
        first = last
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
          tbptt: int = 128, options: Options = Options(), dims: dict | None = None, log=print) -> dict:
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
        for example in tqdm(training, desc=f"epoch {epoch}/{epochs}", leave=False, disable=None):
            for loss in video_loss_steps(model, example, index, tbptt, device):
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
