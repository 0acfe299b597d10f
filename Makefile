# The two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

LINTED := src tests benchmarks scripts docs

.PHONY: run test docs lint format bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/moonbase run --out out

# Browser tests drive Debian's chromium; install it when we can (root on Debian), else they skip.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "chromium not installed: browser tests will be skipped"; }

# The docs build first, so that the test runner's summary is the last line of the output.
test: $(STAMP_TEST) browser
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(MAKE) --no-print-directory docs
	$(BIN)/python -m pytest -n 2 --benchmark-disable

# The documentation site, offline, tutorials executed (cached in docs/_build/.jupyter_cache),
# every warning an error. Open docs/_build/html/index.html.
docs: $(STAMP_RUN)
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html
	@echo "docs: docs/_build/html/index.html"

lint: $(STAMP_TEST)
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

bench: $(STAMP_TEST)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache build src/*.egg-info docs/_build docs/api
