# aimem: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint format bench clean

$(BIN)/aimem: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "aimem needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# An editable install leaves bytecode to the first import, which PYTHONDONTWRITEBYTECODE
	@# may forbid; hooks would then recompile aimem on every call.
	$(BIN)/python -m compileall -q aimem
	@touch $@

install: $(BIN)/aimem  ## create .venv and install aimem with its dev tools

demo: install  ## replay a real Claude Code session, hand off to Codex, search (throwaway data)
	$(BIN)/python tests/demo.py

test: install  ## run the test suite
	$(BIN)/pytest -q

lint: install  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## hook cost vs bare python, consolidation of a 1,000-observation session
	$(BIN)/python tests/bench/bench_hook.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo
