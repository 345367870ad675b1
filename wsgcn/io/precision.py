"""Reduced-precision float16 storage: round the mantissa so gzip compresses better.

float16 has 10 mantissa bits (relative spacing 2^-11). Keeping ``bits`` of them rounds
every value to the nearest float16 with ``bits`` mantissa bits (round half up on the
magnitude), a relative error of at most 2^-(bits+1); the zeroed low bits compress to
almost nothing. Used for CAMs, which are smooth maps in [0, 1].
"""

from __future__ import annotations

import numpy as np

FLOAT16_MANTISSA_BITS = 10


def round_mantissa(values: np.ndarray, bits: int) -> np.ndarray:
    """``values`` as float16 with only ``bits`` (1..10) mantissa bits kept."""
    if not 1 <= bits <= FLOAT16_MANTISSA_BITS:
        raise ValueError(f"mantissa bits must be in 1..{FLOAT16_MANTISSA_BITS}, got {bits}")
    half = np.ascontiguousarray(values, dtype=np.float16)
    if bits == FLOAT16_MANTISSA_BITS:
        return half
    dropped = FLOAT16_MANTISSA_BITS - bits
    raw = half.view(np.uint16).astype(np.uint32)
    sign = raw & 0x8000
    magnitude = raw & 0x7FFF
    finite = magnitude < 0x7C00
    rounded = ((magnitude + (1 << (dropped - 1))) >> dropped) << dropped
    rounded = np.minimum(rounded, 0x7BFF >> dropped << dropped)  # never round a finite value up to Inf
    result = np.where(finite, rounded, magnitude) | sign
    return result.astype(np.uint16).view(np.float16)
