"""Narrator speed on each device present: training steps/s (one TBPTT stretch of 128 frames
with its shots' sentences) and inference frames/s (encoder + greedy decoding), with random
inputs of the shipped model's sizes. `python -m vidcap.bench.narrator` (the GPU check script
pipelines/gpu-check.sh runs it)."""

import time

import torch

from ..analysis.facts import fact_vector_size
from ..narration.model import ModelDimensions, Narrator


def measure(device: torch.device, seconds: float = 20.0) -> dict:
    torch.manual_seed(0)
    dims = ModelDimensions(n_facts=fact_vector_size())
    model = Narrator(dims).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    frames, shots, words = 128, 16, 14
    features = torch.randn(1, frames, dims.n_features, device=device)
    facts = torch.randn(1, frames, dims.n_facts, device=device)
    starts = torch.zeros(1, frames, device=device)
    target = torch.randint(4, dims.n_vocab, (shots, words), device=device)
    previous = torch.randint(4, dims.n_vocab, (shots, words), device=device)

    def train_step():
        out, _ = model.encode(features, facts, starts)
        memory = out[0].view(shots, frames // shots, -1)
        mask = torch.ones(memory.shape[:2], dtype=torch.bool, device=device)
        loss = model.loss(memory, mask, previous, facts[0, ::frames // shots], target)
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
            out, _ = model.encode(features, facts, starts)
            memory = out[0].view(shots, frames // shots, -1)
            mask = torch.ones(1, frames // shots, dtype=torch.bool, device=device)
            for s in range(shots):
                model.generate(memory[s:s + 1], mask, previous[s:s + 1], facts[:, s * (frames // shots)])
        model.train()

    return {"device": str(device), "train_steps_per_s": round(timed(train_step, 1), 2),
            "inference_frames_per_s": round(timed(infer, frames), 1)}


if __name__ == "__main__":
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for d in devices:
        print(measure(d))
