# The two commands of the README: `make run` and `make test`. Everything else is set-up they share,
# safe to run again: a target is redone only when what it is made from changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
JARS   := build/jars
MVN    := mvn -q -B
STAMP  := $(VENV)/.installed-stamp
CODE   := src emulator benchmarks tests

# root installs system packages itself; anyone else through sudo
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test soak dashboard-png setup jars chromium lint format clean stop constraints bench

# Everything in the background (Kafka, topics, emulator or the real API, producer, Spark job,
# dashboard), staying in the foreground: Ctrl-C stops it all (`tunestream down`).
run: setup
	$(BIN)/tunestream up --foreground

stop:
	$(BIN)/tunestream down

# The benchmarks of docs/BENCHMARKS.md: `make bench` runs them all (tunestream bench all), and
# e.g. `make bench ARGS="spark --rounds 1"` one of them.
ARGS ?= all
bench: setup
	$(BIN)/tunestream bench $(ARGS)

test: lint
	$(BIN)/pytest -m "not soak" --junitxml=build/test-results.xml

# The long versions of the kill and failure tests (make test runs a lean version of each).
soak: setup
	$(BIN)/pytest -m soak --junitxml=build/soak-results.xml

# The README's picture of the dashboard (docs/dashboard.png): the browser test's screenshot.
dashboard-png: setup
	TUNESTREAM_DASHBOARD_PNG=$(CURDIR)/docs/dashboard.png \
		$(BIN)/pytest tests/integration/system/test_dashboard_browser.py

setup: $(STAMP) jars chromium .tunestream

# Python: a virtualenv with three distributions, editable, their dependencies pinned by
# constraints.txt: the pipeline with every extra (tunestream[all], and dev for the tests), the
# emulator (emulator/) and the benchmarks (benchmarks/). One pip command, so that the
# benchmarks' `tunestream` and `tunestream-emulator` are these folders, not PyPI's.
$(STAMP): pyproject.toml emulator/pyproject.toml benchmarks/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[all,dev]' -e ./emulator -e ./benchmarks
	touch $@

# JVM: the Kafka broker's runtime classpath, resolved by Maven into build/jars/kafka, and the
# jars the Spark job adds to PySpark's (Kafka source, Delta Lake, the job's own jvm/udf) into
# build/jars/spark. Two folders: the broker's kafka-clients 4.x must not meet Spark's 3.9.x.
jars: $(JARS)/kafka/.resolved $(JARS)/spark/.resolved

$(JARS)/kafka/.resolved: jvm/kafka/pom.xml
	rm -rf $(JARS)/kafka
	$(MVN) -f jvm/kafka/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(JARS)/kafka
	touch $@

$(JARS)/spark/.resolved: jvm/spark/pom.xml jvm/udf/pom.xml $(shell find jvm/udf/src -type f)
	rm -rf $(JARS)/spark
	$(MVN) -f jvm/spark/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(JARS)/spark
	$(MVN) -f jvm/udf/pom.xml package
	cp build/jvm/udf/tunestream-udf.jar $(JARS)/spark/
	touch $@

# The browser the dashboard's browser test drives (through Playwright, which downloads none):
# Debian's chromium, installed only when no chromium is on the PATH.
chromium:
	@command -v chromium > /dev/null || command -v chromium-browser > /dev/null || \
		{ $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }

# Local state: the embedded broker's data (kafka.data_dir in tunestream.yaml).
.tunestream:
	mkdir -p $@

# Re-pin after changing dependencies in pyproject.toml (versions only, never a local path).
constraints: $(STAMP)
	$(BIN)/python -m pip list --format=freeze --exclude-editable > constraints.txt

# ruff, mypy --strict, and the import graph's contracts (lint-imports: [tool.importlinter] in
# pyproject.toml): the pipeline imports neither the emulator nor the benchmarks, no cycle.
lint: setup
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

clean:
	-$(BIN)/tunestream down
	rm -rf $(VENV) build .tunestream
