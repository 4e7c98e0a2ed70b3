# vidcap: describe what is on screen, when, as subtitles.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# torch and torchvision as a matched pair (see README: other pairs fail to import together)
TORCH  ?= torch==2.14.1 torchvision==0.29.1
VIDEO  ?= samples/bikes.mp4
OUT    ?= $(basename $(VIDEO)).srt

.PHONY: setup samples subtitles test bench clean

setup: $(VENV)/.installed samples

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $(TORCH)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

samples: $(VENV)/.installed
	$(PY) -m vidcap.samples samples

subtitles: $(VENV)/.installed
	$(VENV)/bin/vidcap describe $(VIDEO) -o $(OUT)

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m vidcap.bench

clean:
	rm -rf bench .pytest_cache .hypothesis

# Captioned data: a folder of videos with .srt beside them (see `vidcap convert` for MSR-VTT,
# MSVD and ActivityNet Captions).
DATA   ?= bench/generated
MODEL  ?= models/vidcap-lstm-v1
REFS   ?= samples/references

.PHONY: train eval bench-train

train: $(VENV)/.installed
	$(VENV)/bin/vidcap train $(DATA) -o $(MODEL)

eval: $(VENV)/.installed
	$(VENV)/bin/vidcap eval $(REFS) --videos samples --narrator $(MODEL) --narrator rules -o $(REFS)/scores.json

# The learning benchmark: train on 200 generated captioned videos, score 40 held-out ones.
bench-train: $(VENV)/.installed
	$(VENV)/bin/vidcap generate bench/generated --count 200 --seed 7
	$(VENV)/bin/vidcap generate bench/heldout --count 40 --seed 99
	$(VENV)/bin/vidcap train bench/generated -o bench/model-generated --epochs 20
	$(VENV)/bin/vidcap eval bench/heldout --narrator bench/model-generated --no-meteor
