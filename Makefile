# compassion_study: every target creates and uses the local virtual
# environment .venv (nothing is installed outside it).
#   make report   run the whole study on the bundled data -> reports/report.html
#   make test     run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install report test bench lab lock clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with pinned dependencies

report: $(STAMP) ## run every stage on the bundled data and write reports/report.html
	$(BIN)/compassion-study run --pdf

test: $(STAMP) ## run the tests (pytest; exit 5, "no tests collected", is a failure)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

bench: $(STAMP) ## run the speed and memory benchmarks in benchmarks/
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lab: $(STAMP) ## open the notebooks in JupyterLab
	$(BIN)/jupyter lab notebooks/

lock: ## re-resolve dependencies and rewrite constraints.txt (needs the package index)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[test]"
	{ echo "# Pinned versions for reproducible installs; regenerate with 'make lock'."; \
	  .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^compassion' ; } > constraints.txt
	rm -rf .venv-lock

clean: ## remove generated outputs (data/processed, reports, exports), keeping raw data
	rm -rf data/processed/*.csv data/processed/*.json reports exports
