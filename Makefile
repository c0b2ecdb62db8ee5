# Two commands: `make run` and `make test`. Everything else is installed on demand.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PLOTLY := static/vendor/plotly-basic.min.js

.PHONY: run test install install-dev bench bench-recompute bench-freshness bench-leaderboard bench-pageweight soak translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# plotly.js partial bundles come from the npm registry (pinned, integrity-checked): served from static/, never a CDN.
$(PLOTLY): $(VENV)/.installed
	$(BIN)/python scripts/vendor_assets.py

translations: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py compile

install: $(VENV)/.installed $(PLOTLY) translations
install-dev: install $(VENV)/.installed-dev

run: install
	$(BIN)/python scripts/run.py

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: bench-recompute bench-freshness bench-leaderboard bench-pageweight
bench-recompute: install-dev
	$(BIN)/python -m bench.recompute
bench-freshness: install-dev
	$(BIN)/python -m bench.freshness
bench-leaderboard: install-dev
	$(BIN)/python -m bench.leaderboard
bench-pageweight: install-dev
	$(BIN)/python -m bench.pageweight
# 200 officers for 10 minutes, then a consistency check (not part of `make bench`: it takes 11 min)
soak: install-dev
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) static/vendor instance/run
