"""The training precision rule: bfloat16 autocast only where the CPU multiplies bfloat16 natively."""

from __future__ import annotations

from predact_utils.miniature.trainutil import train_precision

AVX2 = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\nprocessor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma\n"


def test_a_cpu_without_native_bfloat16_trains_in_float32() -> None:
    assert train_precision(AVX2) == "fp32"
    assert train_precision("") == "fp32"
    assert train_precision("flags\t: avx512f avx512bw\n") == "fp32"  # AVX-512 without its bf16 extension


def test_native_bfloat16_instructions_select_bfloat16_autocast() -> None:
    assert train_precision(AVX2.replace("fma", "fma avx512_bf16")) == "bf16"
    assert train_precision("flags\t: avx2 amx_bf16 amx_tile\n") == "bf16"
    assert train_precision("model name\t: amx_bf16 in a name, not a flag\nflags\t: avx2\n") == "fp32"
