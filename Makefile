# Everything sets itself up: a fresh clone needs only Python >= 3.11.
#
# Every installed version, transitive ones included, comes from a lock file with hashes required:
#   requirements/uv.lock     uv itself (from requirements/uv.txt), installed by pip into .uv/
#   requirements/dev.lock    the project's runtime + dev dependencies (from pyproject.toml) -> .venv/
#   requirements/build.lock  setuptools, which builds the editable install (from requirements/build.txt)
#   requirements/sam.lock    the SAM CLI (from requirements/sam.txt) -> .venv-sam/, only for test/validate
#   functions/*/requirements.txt  what sam build installs per function (from requirements.in), same versions
# `make lock` regenerates them from those inputs, keeping every version it can; to move versions on,
# `make lock LOCK_FLAGS=--upgrade` (or `LOCK_FLAGS='--upgrade-package boto3'`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_DIR := .uv
UV := $(UV_DIR)/bin/uv
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
STACK ?=
LOCK_FLAGS ?=
# Locks are universal (any OS, any CPU) for every Python the project supports.
LOCK := $(UV) pip compile --quiet --universal --generate-hashes --python-version 3.11 \
	--custom-compile-command 'make lock' $(LOCK_FLAGS)
CHECK_PYTHON = @$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'

.PHONY: help demo test lint format bench validate build local lock clean

help:
	@echo "make demo      run the whole flow on the embedded local AWS; output in out/demo/"
	@echo "make test      run every test (unit, moto integration, end to end, template)"
	@echo "make lint      ruff check and format check"
	@echo "make bench     print throughput and cold-start figures; out/bench/results.json"
	@echo "make validate  sam validate --lint, cfn-lint and sam build (python3.13)"
	@echo "make local     start the embedded AWS and keep it running (for sam local invoke)"
	@echo "make lock      re-lock every version (requirements/*.lock, functions/*/requirements.txt) after editing a pin"

# uv, pinned and hash-checked, in a folder of its own so that syncing the venvs cannot remove it. With the
# interpreter's own pip when it has one (seconds faster), else with the pip of a small venv.
PIP_UV := --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --only-binary :all: --require-hashes -r requirements/uv.lock
$(UV): requirements/uv.lock
	$(CHECK_PYTHON)
	rm -rf $(UV_DIR)
	if $(PYTHON) -c 'import pip' 2>/dev/null; then \
		$(PYTHON) -m pip install $(PIP_UV) --target $(UV_DIR); \
	else \
		$(PYTHON) -m venv $(UV_DIR) && $(UV_DIR)/bin/python -m pip install $(PIP_UV); \
	fi
	@touch $@

$(BIN)/python:
	$(CHECK_PYTHON)
	$(PYTHON) -m venv --without-pip $(VENV)

# Exactly the lock (anything else is removed), then the project itself, editable, without dependencies;
# then a check, offline, that the lock still satisfies pyproject.toml (else: run `make lock`).
$(VENV)/.installed: pyproject.toml requirements/dev.lock requirements/build.lock | $(UV) $(BIN)/python
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes requirements/dev.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps \
		--build-constraints requirements/build.lock --require-build-hashes -e .
	@$(UV) pip install --quiet --python $(BIN)/python --offline --check -r pyproject.toml --extra dev \
		|| { echo "requirements/dev.lock does not satisfy pyproject.toml: run make lock" >&2; exit 1; }
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.lock | $(UV)
	$(CHECK_PYTHON)
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv --without-pip $(SAM_VENV)
	$(UV) pip sync --quiet --python $(SAM_VENV)/bin/python --require-hashes requirements/sam.lock
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/invoicing demo

test: $(VENV)/.installed $(SAM_VENV)/.installed
	# One worker per CPU (pytest-xdist), each with its own local AWS; work stealing, so that no worker waits
	# idle behind the other's queue of long tests (345 s -> 253 s here). A single file runs with plain pytest.
	SAM_CLI=$(SAM) $(BIN)/pytest -n auto --dist worksteal

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	$(BIN)/python -m bench

validate: $(VENV)/.installed $(SAM_VENV)/.installed
	$(SAM) validate --lint
	$(BIN)/cfn-lint template.yaml
	PYENV_VERSION=3.13.0 $(SAM) build --cached

local: $(VENV)/.installed
	$(BIN)/invoicing local

lock: | $(UV)
	$(LOCK) requirements/uv.txt -o requirements/uv.lock
	$(LOCK) requirements/build.txt -o requirements/build.lock
	$(LOCK) pyproject.toml --extra dev -o requirements/dev.lock
	$(LOCK) requirements/sam.txt -o requirements/sam.lock
	@# Each function's requirements.txt (what sam build installs), from its requirements.in, for the Lambda
	@# runtime, constrained by requirements/dev.lock: stdlib only, so the plain interpreter runs it.
	if [ -f invoicing_tools/lock_functions.py ]; then $(PYTHON) -m invoicing_tools.lock_functions --uv $(UV); fi

clean:
	rm -rf out .aws-sam build *.egg-info
