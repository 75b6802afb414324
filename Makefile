# safetynet — run `make help` for the targets.
PYTHON ?= python3
VENV   ?= .venv
EXTRAS ?= dev
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma  := ,
FUZZ_EXAMPLES ?= 100
export SAFETYNET_HOME ?= $(CURDIR)/var
# property tests: no deadline, no too_slow, reproducible examples (tests/conftest.py)
export HYPOTHESIS_PROFILE ?= ci

.DEFAULT_GOAL := help
.PHONY: help venv demo test lint unit bench fuzz clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	@touch $@

venv: $(STAMP) ## create .venv and install safetynet with the extras in EXTRAS (default: dev)

demo: $(STAMP) ## build the demo province, run the monitoring, print what to try next
	$(BIN)/safetynet demo

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

unit: $(STAMP) ## the test suite without lint
	$(BIN)/python -m pytest -n 2 -q

test: lint unit ## lint, doctests and the whole test suite

fuzz: $(STAMP) ## fuzz every file reader (as child processes) and JSON-lines tool longer (FUZZ_EXAMPLES=100 each)
	SAFETYNET_FUZZ_CHILD=1 SAFETYNET_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -n 2 -q -m fuzz

bench: $(STAMP) ## run the benchmarks and write docs/PERFORMANCE.md
	$(BIN)/python -m benchmarks

clean: ## remove .venv and the local data under var/
	rm -rf $(VENV) var
