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
