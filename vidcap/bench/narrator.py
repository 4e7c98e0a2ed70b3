"""Narrator speed on each device present: training stretches/s (a TBPTT stretch: 128 frames with
its 16 shots' sentences), taking one video's stretch a step and VIDEOS_PER_STEP videos' at once
(`vidcap train --videos-per-step`), and inference frames/s (encoder + greedy decoding), with
random inputs of the shipped model's sizes. `python -m vidcap.bench.narrator` (the GPU check
script pipelines/gpu-check.sh runs it)."""

import time

import torch

from ..analysis.facts import fact_vector_size
from ..narration.model import ModelDimensions, Narrator

VIDEOS_PER_STEP = 32


def measure(device: torch.device, seconds: float = 20.0) -> dict:
    torch.manual_seed(0)
    dims = ModelDimensions(n_facts=fact_vector_size())
    model = Narrator(dims).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    frames, shots, words = 128, 16, 14
    features = torch.randn(VIDEOS_PER_STEP, frames, dims.n_features, device=device)
    facts = torch.randn(VIDEOS_PER_STEP, frames, dims.n_facts, device=device)
    starts = torch.zeros(VIDEOS_PER_STEP, frames, device=device)
    target = torch.randint(4, dims.n_vocab, (VIDEOS_PER_STEP * shots, words), device=device)
    previous = torch.randint(4, dims.n_vocab, (VIDEOS_PER_STEP * shots, words), device=device)

    def train_step(videos):
        out, _ = model.encode(features[:videos], facts[:videos], starts[:videos])
        memory = out.reshape(videos * shots, frames // shots, -1)
        mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=device)
        shot_facts = facts[:videos, ::frames // shots].reshape(videos * shots, -1)
        loss = model.loss(memory, mask, previous[:videos * shots], shot_facts, target[:videos * shots])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def timed(step, unit):
        step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 2:
            step()
            count += 1
        if device.type == "cuda":
            torch.cuda.synchronize()
        return count * unit / (time.perf_counter() - start)

    def infer():
        model.eval()
        with torch.inference_mode():
            out, _ = model.encode(features[:1], facts[:1], starts[:1])
            memory = out[0].view(shots, frames // shots, -1)
            mask = torch.ones(1, frames // shots, dtype=torch.bool, device=device)
            for s in range(shots):
                model.generate(memory[s:s + 1], mask, previous[s:s + 1], facts[:1, s * (frames // shots)])
        model.train()

    return {"device": str(device), "train_stretches_per_s": round(timed(lambda: train_step(1), 1), 2),
            f"train_stretches_per_s_{VIDEOS_PER_STEP}_a_step": round(timed(lambda: train_step(VIDEOS_PER_STEP), VIDEOS_PER_STEP), 2),
            "inference_frames_per_s": round(timed(infer, frames), 1)}


if __name__ == "__main__":
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for d in devices:
        print(measure(d))
