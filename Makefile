# ganlab: `make train` and `make test` set up .venv on first use, then run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganlab-installed
BENCH_STAMP := $(VENV)/.ganlab-bench-installed
ARGS ?=
SWEEP ?= smoke
# the newest sweep folder, for `make report`
SWEEP_DIR ?= $(shell ls -td outputs/sweeps/*/*/ outputs/train/multiruns/*/ 2>/dev/null | head -1)

.DEFAULT_GOAL := help
.PHONY: help install train sweep tune report presets-gpu presets-mnist gpu-check test test-fast fault-matrix lint format tensorboard bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  pass options to train with ARGS='model=wgan_gp data=celeba'"
	@echo "  pick a study with SWEEP=rdfia, a folder to report on with SWEEP_DIR=outputs/sweeps/..."

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev,sweep,tune]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install ganlab (editable) with its dev, sweep and tune tools

train: $(STAMP) ## run the default training job (DCGAN on MNIST); ARGS=... for overrides
	$(PY) -m ganlab.train $(ARGS)

sweep: $(STAMP) ## run a study from conf/sweep/ (SWEEP=smoke|rdfia|rdfia_mnist|rdfia_grid|slope003_bn|recipes); ARGS=... for overrides
	$(PY) -m ganlab.train sweep=$(SWEEP) $(ARGS)

tune: $(STAMP) ## search training settings on sample quality, continued by the same command (docs/sweeps.md); ARGS=... for its keys
	$(PY) -m ganlab.tune $(ARGS)

report: $(STAMP) ## table + figures for a sweep folder (SWEEP_DIR=..., default: the newest)
	$(PY) -m ganlab.report $(SWEEP_DIR)

presets-gpu: $(STAMP) ## every CelebA/bricks preset at full length on a GPU, evaluated, one table (DATA=dir, docs/results.md)
	PY=$(PY) scripts/run_presets.sh $(ARGS)

presets-mnist: $(STAMP) ## every MNIST preset and sweep=rdfia_mnist at full length on the test split, evaluated on 2,000 samples, one table (TRAINER=cpu|gpu, DEVICE=cpu|cuda)
	SET=mnist TRAINER=$(or $(TRAINER),cpu) DEVICE=$(or $(DEVICE),cpu) N=2000 REAL_N=2000 \
		DATA=$(or $(DATA),../shared/data) OUT=outputs/mnist_presets PY=$(PY) \
		scripts/run_presets.sh 'data.splits=[test]' $(ARGS)

gpu-check: $(STAMP) ## on a GPU machine, ~8 min: every procedure, determinism, the bench's GPU rows (DATA=dir; DRY_RUN=1 prints the commands)
	$(PY) scripts/gpu_check.py --data $(or $(DATA),../shared/data) $(if $(DRY_RUN),--dry-run) $(ARGS)

test: $(STAMP) ## run the test suite (offline, CPU, one worker per core; a file stays on one worker, so its module fixtures are built once)
	$(PY) -m pytest -q -n auto --dist loadfile $(ARGS)

test-fast: $(STAMP) ## the suite without the tests that start processes (CLI, DDP, wheel): while you work
	$(PY) -m pytest -q -n auto --dist loadfile -m "not slow" $(ARGS)

fault-matrix: $(STAMP) ## write docs/fault-matrix.md from the tests marked fault (collects, runs nothing)
	$(PY) -m pytest -q -p no:cacheprovider --fault-matrix=docs/fault-matrix.md tests

lint: $(STAMP) ## ruff check and format check
	$(PY) -m ruff check ganlab tests
	$(PY) -m ruff format --check ganlab tests

format: $(STAMP) ## ruff format and autofix
	$(PY) -m ruff format ganlab tests
	$(PY) -m ruff check --fix ganlab tests

tensorboard: $(STAMP) ## serve TensorBoard on outputs/ (http://localhost:6006)
	$(VENV)/bin/tensorboard --logdir outputs

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install -e '.[bench]' || echo "ganlab: no TensorFlow, the Keras contender is skipped"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## time ganlab vs plain PyTorch (and Keras) into BENCHMARKS.md; ARGS=options
	$(PY) -m ganlab.bench $(ARGS)

clean: ## remove caches (keeps .venv and outputs/)
	rm -rf .pytest_cache .ruff_cache build *.egg-info
