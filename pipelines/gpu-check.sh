#!/usr/bin/env bash
# The GPU check (issue 4): narrator training steps/s and inference frames/s on the GPU vs this
# CPU, plus the CNN encoder's frames/s, in well under 10 minutes. Run from the repo root on a
# machine with CUDA and the project's .venv (or any Python with torch and vidcap importable).
set -euo pipefail
PY=${PY:-.venv/bin/python}
"$PY" -m vidcap.bench.narrator
"$PY" - <<'PY'
import time, numpy as np, torch
from vidcap.analysis.features import load_encoder
for name in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
    enc = load_encoder(device=torch.device(name))
    frames = [np.random.randint(0, 255, (224, 398, 3), np.uint8) for _ in range(64)]
    enc.encode(frames)
    start = time.perf_counter(); n = 0
    while time.perf_counter() - start < 10:
        enc.encode(frames); n += len(frames)
    print({"device": name, "cnn_frames_per_s": round(n / (time.perf_counter() - start), 1)})
PY
