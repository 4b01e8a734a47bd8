# ganlab: `make train` and `make test` set up .venv on first use, then run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.ganlab-installed
BENCH_STAMP := $(VENV)/.ganlab-bench-installed
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install train test lint format tensorboard bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "  pass options to train with ARGS='model=wgan_gp data=celeba'"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install ganlab (editable) with its dev tools

train: $(STAMP) ## run the default training job (DCGAN on MNIST); ARGS=... for overrides
	$(PY) -m ganlab.train $(ARGS)

test: $(STAMP) ## run the test suite (offline, CPU)
	$(PY) -m pytest -q $(ARGS)

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
