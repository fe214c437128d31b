"""The environment report of the setup section (``notebooks/00_setup.py``).

Tells a reader which versions, device and folders a run used, so that a
re-executed notebook can be compared with the published book.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

import pandas as pd

from predact_utils import paths

#: Python distributions whose versions the book reports.
REPORTED_PACKAGES: tuple[str, ...] = (
    "torch",
    "transformers",
    "tokenizers",
    "datasets",
    "trl",
    "accelerate",
    "peft",
    "numpy",
    "numba",
    "pandas",
    "matplotlib",
    "seaborn",
    "plotly",
    "ipywidgets",
    "papermill",
    "jupytext",
    "jupyter-book",
    "myst-nb",
)


def package_versions(names: tuple[str, ...] = REPORTED_PACKAGES) -> dict[str, str]:
    """Installed version of each distribution, or ``"not installed"``."""
    out: dict[str, str] = {}
    for name in names:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def tool_version(cmd: list[str], timeout: float = 10.0) -> str:
    """First output line of an external tool's version command, or why it is unavailable."""
    if shutil.which(cmd[0]) is None:
        return "not found on PATH"
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"no answer within {timeout:.0f} s"
    text = (res.stdout or res.stderr).strip().splitlines()
    return text[0].strip() if text else f"exit code {res.returncode}"


@dataclass(frozen=True)
class DeviceInfo:
    """The compute device a run uses."""

    kind: str
    name: str
    count: int
    torch_threads: int
    fast_bf16: bool = False  # a CPU with bf16 matrix hardware (AMX)
    dtype: str = "fp32"  # what models load in (predact_utils.lm.models.default_dtype)


def device_info() -> DeviceInfo:
    """CUDA GPUs when present (the paper-scale runs), else the CPU (the miniature family)."""
    import torch

    from predact_utils.lm.models import cpu_has_fast_bf16, default_dtype, dtype_label

    dtype = dtype_label(default_dtype())
    if torch.cuda.is_available():
        n = torch.cuda.device_count()
        return DeviceInfo("cuda", torch.cuda.get_device_name(0), n, torch.get_num_threads(), False, dtype)
    return DeviceInfo("cpu", platform.processor() or platform.machine(), os.cpu_count() or 1, torch.get_num_threads(),
                      cpu_has_fast_bf16(), dtype)


def environment_table() -> pd.DataFrame:
    """One table of everything the setup section reports: software, device, folders."""
    rows: list[tuple[str, str, str]] = [("python", "version", platform.python_version())]
    rows += [("package", k, v) for k, v in package_versions().items()]
    rows.append(("tool", "mafft", tool_version(["mafft", "--version"])))
    rows.append(("tool", "chromium", tool_version(["chromium", "--version"])))
    dev = device_info()
    rows += [
        ("device", "kind", dev.kind),
        ("device", "name", dev.name),
        ("device", "count", str(dev.count)),
        ("device", "torch threads", str(dev.torch_threads)),
        ("device", "bf16 matrix hardware (AMX)", "yes" if dev.fast_bf16 else "no"),
        ("device", "compute dtype", dev.dtype),
    ]
    rows += [
        ("folder", "repository", str(paths.repo_root())),
        ("folder", "local models", str(paths.models_dir())),
        ("folder", "hub cache", str(paths.hf_cache_dir())),
        ("folder", "artifact cache", str(paths.cache_dir())),
        ("setting", "HF_HUB_OFFLINE", os.environ.get("HF_HUB_OFFLINE", "unset")),
    ]
    return pd.DataFrame(rows, columns=["what", "name", "value"])
