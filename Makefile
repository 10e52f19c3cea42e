# The two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# setuptools prints an informational warning block on every editable install ("Editable
# installation ... be careful with folders"): not for the user of `make demo`.
PIP     = PYTHONWARNINGS=ignore $(BIN)/python -m pip -q --disable-pip-version-check

.PHONY: demo test install bench lint clean

# The install recipes are quiet (@): a new user sees one line saying what happens, then the demo.
$(BIN)/python:
	@echo "Installing chujing into $(VENV) (the first time only; a few minutes)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip 2>&1 | { grep -v -i -E "warning|^\s*$$" || true; }

# Re-install only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@$(PIP) install -e . 2>&1 | { grep -v -i -E "warning|^\s*$$" || true; }
	@$(BIN)/python -c "import scanner, detectors, mappings"
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]' 2>&1 | { grep -v -i -E "warning|^\s*$$" || true; }
	$(BIN)/python -c "import scanner, detectors, mappings, pytest"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

# The demo scan of sample_data/: exit 10/20/30 name the path required, not a failure.
demo: $(VENV)/.installed
	@echo "$$ chujing scan sample_data/ --sector automotive --scenario vehicle_rd --ftz beijing --format table"
	@$(BIN)/chujing scan sample_data/ --sector automotive --scenario vehicle_rd --ftz beijing --format table; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -ge 10 ]

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed-test
	$(PIP) install -e '.[bench]'
	$(BIN)/python benchmarks/bench_scan.py --size 1GB --format csv

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
