# Two commands do all set-up: `make demo` and `make test`. Both are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PLUGINS := providers/aws providers/gcp providers/azure
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
SYS_STAMP  := .venv/.system-deps

.PHONY: demo test lint typecheck unit venv node system-deps bench lock dist clean

venv: $(VENV_STAMP)
$(VENV_STAMP): requirements/lock.txt pyproject.toml $(wildcard providers/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/lock.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e . $(foreach p,$(PLUGINS),$(if $(wildcard $(p)/pyproject.toml),-e $(p)))
	touch $@

node: $(NODE_STAMP)
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian packages the tests need (headless Chromium for the HTML report, PostgreSQL for history).
system-deps: $(SYS_STAMP)
$(SYS_STAMP): scripts/system-deps.sh | $(VENV_STAMP)
	bash scripts/system-deps.sh
	touch $@

demo: venv node
	$(BIN)/python demo/run.py --output reports/demo

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

unit: venv node system-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: lint typecheck unit

bench: venv
	$(BIN)/python benchmarks/run_all.py

# Wheels and sdists of the core and the plugins, into dist/ (the venv's hatchling: no download)
dist: venv
	rm -rf dist
	for d in . $(PLUGINS); do $(BIN)/python -m build --no-isolation --outdir dist $$d || exit 1; done

# Re-pin the environment after changing a dependency in any pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -vi '^residency' > requirements/lock.body
	{ sed -n '1,2p' requirements/lock.txt; cat requirements/lock.body; } > requirements/lock.new
	mv requirements/lock.new requirements/lock.txt; rm -f requirements/lock.body

clean:
	rm -rf $(VENV) node_modules reports/demo .demo dist
