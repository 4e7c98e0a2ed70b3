#!/usr/bin/env bash
# The GPU check (issue 11): the whole job on make bench's real film (the dev set's clips joined to
# 10 minutes at 720p), set-up included, on the device machine, with the GPU's utilisation:
#   1. the film alone, its stretches analysed by one process per core (the CNN on the GPU);
#   2. four copies of it in one `vidcap batch` of four workers;
#   3. the CNN's and the narrator's frames per second alone (vidcap.bench.narrator).
# The machine lacks ffmpeg, mediapipe, RapidOCR, PySceneDetect, faster-whisper and the CNN's weights: they come
# packed by pipelines/gpu-pack.sh, one part per device call (see there). Each call runs this
# script; it keeps its part in $STORE (the machine keeps it while it stays warm) and, once every
# part is there, unpacks them and runs the check. Results go to $OUT (the device tool's folder)
# or ./gpu-check-out. Runs here too, as a rehearsal (PYVER=3.11 gpu-pack.sh; PY=your python).
set -euo pipefail
PY=${PY:-python3}
STORE=${STORE:-/tmp/vidcap-gpu}
OUT=${OUT:-gpu-check-out}
MINUTES=${MINUTES:-10}  # the film's length (a rehearsal here takes MINUTES=1)
mkdir -p "$STORE" "$OUT"

for part in .gpu/part-*-of-*; do
    [ -e "$part" ] && cp "$part" "$STORE/"
done
parts=("$STORE"/part-*-of-*)
[ -e "${parts[0]}" ] || { echo "gpu-check: no part here: run pipelines/gpu-pack.sh and carry .gpu/part-K-of-N"; exit 1; }
total=${parts[0]##*-of-}
if [ "${#parts[@]}" -lt "$total" ]; then
    echo "gpu-check: $STORE holds ${#parts[@]} of $total parts; send the next one within 30 s"
    exit 0
fi

began=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'; }
for k in $(seq 1 "$total"); do tail -c +66 "$STORE/part-$k-of-$total"; done > "$STORE/whole.tar.xz"
echo "$(head -c 64 "$STORE/part-1-of-$total")  $STORE/whole.tar.xz" | sha256sum -c --quiet \
    || { echo "gpu-check: the parts do not make the packed file (its SHA-256 differs): pack and send them again"; exit 1; }
rm -rf "$STORE/unpacked" && mkdir "$STORE/unpacked"
xz -dc -T0 "$STORE/whole.tar.xz" | tar -C "$STORE/unpacked" -xf -
export PYTHONPATH="$STORE/unpacked/site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
cp -rn "$STORE/unpacked/samples/." samples/
"$PY" -c "import mediapipe, rapidocr_onnxruntime, scenedetect, wordfreq, faster_whisper, imageio_ffmpeg, torch, vidcap.pipeline
print('gpu-check: torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'ffmpeg', imageio_ffmpeg.get_ffmpeg_version())"
cores=$(nproc)
film=$("$PY" -c "from vidcap.bench.film import real_film; print(real_film('$STORE/bench', $MINUTES))" | tail -1)
setup=$(since "$began")

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader,nounits \
    -lms 250 > "$OUT/gpu-utilisation.csv" & sampler=$!
mark() { echo "$1 $(cat "$OUT/gpu-utilisation.csv" 2>/dev/null | wc -l)" >> "$OUT/phases.txt"; }
: > "$OUT/phases.txt"

mark film
"$PY" -m vidcap.bench.film --folder "$STORE/bench" --minutes "$MINUTES" --analysis-workers "$cores" --segment-seconds 40 | tee "$OUT/film.txt"

mark batch
rm -rf "$STORE/four" "$STORE/four-out" && mkdir "$STORE/four"
for k in 1 2 3 4; do ln -f "$film" "$STORE/four/copy-$k.mp4"; done
start=$(date +%s.%N)
"$PY" -m vidcap batch "$STORE/four" -o "$STORE/four-out" --workers 4 --no-cache | tail -3
batch_wall=$(since "$start")

mark cnn-and-narrator
"$PY" -m vidcap.bench.narrator | tee "$OUT/narrator.txt"
"$PY" - <<'CNN' | tee -a "$OUT/narrator.txt"
import time, numpy as np, torch
from vidcap.analysis.features import load_encoder
device = "cuda" if torch.cuda.is_available() else "cpu"
encoder, frames = load_encoder(device=device), [np.random.randint(0, 255, (224, 398, 3), np.uint8)] * 256
encoder.encode(frames)
start, n = time.perf_counter(), 0
while time.perf_counter() - start < 5:
    encoder.encode(frames); n += len(frames)
print({"device": device, "cnn_frames_per_s": round(n / (time.perf_counter() - start), 1), "batch": len(frames)})
CNN
mark end
kill "$sampler" 2>/dev/null || true

"$PY" - "$OUT" "$film" "$setup" "$batch_wall" <<'PY'
import json, sys
from vidcap.analysis.decode import probe
out, film, setup, batch_wall = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
duration = probe(film).duration
wall = next(float(l.split()[2]) for l in open(f"{out}/film.txt") if l.startswith("pipeline wall"))
try:
    rows = [int(l.split(",")[0]) for l in open(f"{out}/gpu-utilisation.csv")]
except (OSError, ValueError):
    rows = []
marks = [(name, int(n)) for name, n in (l.split() for l in open(f"{out}/phases.txt"))]
busy = {a: round(sum(rows[i:j]) / max(1, j - i), 1) for (a, i), (_, j) in zip(marks, marks[1:]) if rows}
summary = {"setup_s": round(setup, 1), "film_s": round(duration, 1), "film_wall_s": round(wall, 1),
           "film_realtime": round(duration / wall, 1), "batch_of_4_wall_s": round(batch_wall, 1),
           "batch_of_4_realtime_together": round(4 * duration / batch_wall, 1),
           "gpu_busy_percent_mean": busy, "gpu_busy_percent_max": max(rows, default=None)}
print(json.dumps(summary, indent=1))
json.dump(summary, open(f"{out}/summary.json", "w"), indent=1)
PY
