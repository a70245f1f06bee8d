# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
# Only `make` and Python 3.11 are assumed; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Notebook kernels and `!aws` cells find the venv's tools first.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv browser demo test lab stop teardown notebooks bench lock clean

help:
	@echo "make demo       run the whole pipeline headless on the local endpoint"
	@echo "make test       run the test suite, notebooks included (nbval)"
	@echo "make lab        local endpoint + JupyterLab on notebooks/"
	@echo "make stop       stop the local endpoint"
	@echo "make teardown   delete everything the kit created for your prefix (ARGS=--dry-run only lists it)"
	@echo "make notebooks  re-execute the notebooks and rewrite their committed outputs"
	@echo "make bench      run the benchmarks (prints figures, never fails on time)"

# The virtual environment: rebuilt only when the declared dependencies change.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null || \
	  { echo "error: Python 3.11 is needed (the Python of AWS Glue 5); found '$(PYTHON)'. Set PYTHON=/path/to/python3.11." >&2; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the kit's dependencies into $(VENV) (first run only; a few minutes)..."
	@( $(PY) -m pip install --disable-pip-version-check --upgrade "pip>=24" && \
	   $(PY) -m pip install --disable-pip-version-check -c requirements.lock -e '.[dev]' ) > $(VENV)/install.log 2>&1 || \
	  { tail -n 30 $(VENV)/install.log; echo "error: installing the dependencies failed; full log in $(VENV)/install.log" >&2; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

# Debian's chromium, for the dashboard browser test (Playwright drives it; no browser is ever downloaded).
# Installed only as root with apt-get (as on CI); otherwise one line says the test will be skipped.
# Never fails make.
browser: $(STAMP)
	@if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  printf "Installing Debian's chromium for the dashboard browser test... "; \
	  if { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || \
	       { DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	         DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }; } > $(VENV)/apt-chromium.log 2>&1; \
	  then echo "done (log in $(VENV)/apt-chromium.log)"; \
	  else echo "failed, see $(VENV)/apt-chromium.log; the browser test will be skipped."; fi; \
	else \
	  echo "note: no chromium, so the dashboard browser test will be skipped; install it with 'sudo apt-get install chromium'."; \
	fi

demo: $(STAMP) browser
	@$(PY) -m local_aws start >/dev/null
	@$(PY) notebooks/run_all.py --out build/demo

test: $(STAMP) browser
	@$(PY) -m pytest

lab: $(STAMP)
	@$(PY) -m local_aws start >/dev/null
	@$(VENV)/bin/jupyter lab notebooks/

stop:
	@if [ -x $(PY) ]; then $(PY) -m local_aws stop || true; fi

# Both targets: DSCA_TARGET=aws make teardown asks before it deletes (ARGS=--yes does not).
# Teachers: make teardown ARGS="--list --all-prefixes", then ARGS=--all-prefixes.
teardown: $(STAMP)
	@$(PY) -m helpers.teardown $(ARGS)

notebooks: $(STAMP)
	@$(PY) notebooks/run_all.py --refresh

bench: $(STAMP)
	@for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# Record the exact versions that passed `make test` (ranges stay in pyproject.toml).
lock: $(STAMP)
	@$(PY) -m pip freeze --exclude-editable --disable-pip-version-check > requirements.lock
	@echo "wrote requirements.lock"

clean: stop
	rm -rf $(VENV) build .local_aws .pytest_cache
