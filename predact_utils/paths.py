"""Where the book's files live: repository root, data, models, cache (all sections).

Every path can be overridden with an environment variable so that readers who
re-run notebooks elsewhere (another checkout, a GPU node with a shared disk)
can point the book at their own folders:

* ``PREDACT_ROOT``   the repository root (default: found from this file)
* ``PREDACT_DATA``   the data folder (default: ``<root>/data``)
* ``PREDACT_CACHE``  the artifact cache (default: ``<data>/cache``)
* ``PREDACT_MODELS`` local model checkpoints (default: ``<data>/models``)
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The repository root: ``$PREDACT_ROOT`` or the folder above this package."""
    env = os.environ.get("PREDACT_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    return Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """The data folder (corpora, prompts, miniature checkpoints, small results)."""
    env = os.environ.get("PREDACT_DATA")
    return Path(env).expanduser().resolve() if env else repo_root() / "data"


def cache_dir() -> Path:
    """The content-addressed artifact cache (git-ignored)."""
    env = os.environ.get("PREDACT_CACHE")
    return Path(env).expanduser().resolve() if env else data_dir() / "cache"


def models_dir() -> Path:
    """Local Hugging Face checkpoints of the miniature family."""
    env = os.environ.get("PREDACT_MODELS")
    return Path(env).expanduser().resolve() if env else data_dir() / "models"


def hf_cache_dir() -> Path:
    """Where ``transformers`` looks for downloaded hub models (``$HF_HUB_CACHE`` or ``$HF_HOME/hub``)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface"))
    return Path(home).expanduser() / "hub"
