# Everything sets itself up: a fresh clone needs only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
STACK ?=

.PHONY: help demo test lint format bench validate build local clean

help:
	@echo "make demo      run the whole flow on the embedded local AWS; output in out/demo/"
	@echo "make test      run every test (unit, moto integration, end to end, template)"
	@echo "make lint      ruff check and format check"
	@echo "make bench     print throughput and cold-start figures; out/bench/results.json"
	@echo "make validate  sam validate --lint, cfn-lint and sam build (python3.13)"
	@echo "make local     start the embedded AWS and keep it running (for sam local invoke)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements/sam.txt
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/invoicing demo

test: $(VENV)/.installed $(SAM_VENV)/.installed
	SAM_CLI=$(SAM) $(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed
	$(BIN)/python -m bench

validate: $(VENV)/.installed $(SAM_VENV)/.installed
	$(SAM) validate --lint
	$(BIN)/cfn-lint template.yaml
	PYENV_VERSION=3.13.0 $(SAM) build --cached

local: $(VENV)/.installed
	$(BIN)/invoicing local

clean:
	rm -rf out .aws-sam build *.egg-info
