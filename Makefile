# aimem: the README's two commands are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install browser demo test fuzz e2e lint format bench eval eval-llm clean

# The real agent CLIs for the end-to-end suite, at exact versions (cached in .e2e/agents).
E2E_AGENTS := .e2e/agents
E2E_PACKAGES := @anthropic-ai/claude-code@2.1.197 @openai/codex@0.169.0 @google/gemini-cli@0.61.0 \
	@modelcontextprotocol/inspector@0.15.0 opencode-ai@1.18.33

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

# The web view's browser tests drive Debian's chromium through chromedriver (no browser download).
browser:  ## install Debian's chromium and chromium-driver if missing (needs root or sudo)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null \
	  || { $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y --no-install-recommends chromium chromium-driver >/dev/null; }

test: install browser  ## run the test suite (everything but the real-agent end-to-end runs)
	AIMEM_REQUIRE_BROWSER=1 $(BIN)/pytest -q --ignore=tests/e2e

fuzz: install  ## hostile input at nightly size: 10,000 generated hook payloads per agent
	AIMEM_FUZZ_EXAMPLES=10000 $(BIN)/pytest -q tests/reliability/test_hostile.py

$(E2E_AGENTS)/.installed: Makefile
	mkdir -p $(E2E_AGENTS)
	cd $(E2E_AGENTS) && npm install --no-audit --no-fund --loglevel=error $(E2E_PACKAGES)
	@touch $@

e2e: install $(E2E_AGENTS)/.installed  ## real Claude Code, Codex, Gemini CLI and opencode, offline, hooks firing
	$(BIN)/pytest -q tests/e2e

lint: install  ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install  ## hook, MCP, search index at 1k/10k/100k pages, basic-memory beside aimem, a year of use
	@# Bytecode current with the sources: under PYTHONDONTWRITEBYTECODE a stale .pyc is
	@# recompiled on every hook call, which the hook figure would count.
	$(BIN)/python -m compileall -q aimem
	$(BIN)/python tests/bench/bench_hook.py
	$(BIN)/python tests/bench/bench_mcp.py
	$(BIN)/python tests/bench/bench_index.py
	$(BIN)/python tests/bench/bench_basic_memory.py
	$(BIN)/python tests/bench/bench_year.py
	$(BIN)/python tests/bench/bench_web.py
	$(BIN)/python tests/bench/bench_sync.py

eval: install  ## graded retrieval evaluation: hit@1, hit@5, MRR (FTS5, then the FTS4 fallback)
	$(BIN)/python tests/eval/run_eval.py
	AIMEM_FTS=fts4 $(BIN)/python tests/eval/run_eval.py

eval-llm: install  ## the LLM compile fixtures against the real API, scored (needs ANTHROPIC_API_KEY; not in CI)
	$(BIN)/python tests/compile/eval_llm.py --runs 5

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .demo
