# video-gen: the targets a newcomer guesses. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export PIP_DISABLE_PIP_VERSION_CHECK := 1
DEMO_HOME := .demo/home
DEMO_PROMPT := A paper boat sails down a rainy cobblestone street at dusk, silent film style

# The real LiteLLM proxy for the `litellm` test tier, in its own venv so .venv stays light.
# Pinned: 1.108.7 is the release docs/providers.md describes; 1.107.0 was compromised (never it).
LITELLM_VENV    := .venv-litellm
LITELLM_VERSION := 1.108.7

# `make dist VERSION=1.2.3`: the release version (default: video_gen/__init__.py's); PLATFORMS
# limits the single-file apps to a comma list (default: all five; docs/building.md).
VERSION   ?=
PLATFORMS ?=

.PHONY: help demo test test-fast litellm-venv lint fmt typecheck bench build dist clean install dev postgres

help:
	@echo "make demo   - install and generate a video through the built-in emulator (no key)"
	@echo "make test   - install dev tools, lint, type-check and run the whole test suite"
	@echo "              (including the tier through the real LiteLLM proxy, in $(LITELLM_VENV))"
	@echo "make test-fast - the same without the LiteLLM proxy tier and the release build (dist)"
	@echo "make build  - wheel and sdist into dist/ (VERSION=1.2.3 sets the version)"
	@echo "make dist   - also a single-file app and an archive per platform (docs/building.md)"
	@echo "make lint | fmt | bench | clean"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

$(LITELLM_VENV)/.installed:
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install -q --upgrade pip
	$(LITELLM_VENV)/bin/python -m pip install -q 'litellm[proxy]==$(LITELLM_VERSION)'
	@touch $@

litellm-venv: $(LITELLM_VENV)/.installed

install: $(VENV)/.installed
dev: $(VENV)/.dev

demo: $(VENV)/.installed
	@mkdir -p .demo/videos
	VIDEO_GEN_HOME=$(DEMO_HOME) $(BIN)/video-gen generate "$(DEMO_PROMPT)" \
		--provider emulator --output-dir .demo/videos --thumbnail
	@VIDEO_GEN_HOME=$(DEMO_HOME) $(BIN)/video-gen history --limit 3 2>/dev/null || true
	@VIDEO_GEN_HOME=$(DEMO_HOME) $(BIN)/video-gen budget 2>/dev/null || true
	@echo "demo video(s) in .demo/videos; ledger in $(DEMO_HOME)"

lint: $(VENV)/.dev
	$(BIN)/ruff check video_gen tests bench tools
	$(BIN)/ruff format --check video_gen tests bench tools
	$(BIN)/mypy

fmt: $(VENV)/.dev
	$(BIN)/ruff format video_gen tests bench tools
	$(BIN)/ruff check --fix video_gen tests bench tools

# The ledger's tests start a throwaway PostgreSQL from the system's server binaries.
postgres:
	@bash .ci/install-postgres

test: $(VENV)/.dev $(LITELLM_VENV)/.installed postgres
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.dev postgres
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q -m "not litellm and not dist"

bench: $(VENV)/.dev postgres
	$(BIN)/python bench/run_all.py

# Both build from a temporary copy of the tree with VERSION written into it: the working tree
# stays clean. A malformed VERSION is refused (exit 2) before dist/ is touched.
build: $(VENV)/.dev
	$(BIN)/python tools/dist.py build --clean --version "$(VERSION)"

dist: $(VENV)/.dev
	$(BIN)/python tools/dist.py dist --clean --version "$(VERSION)" --platforms "$(PLATFORMS)"

clean:
	rm -rf $(VENV) $(LITELLM_VENV) dist build .demo .bench .pytest_cache .mypy_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
