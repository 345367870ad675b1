"""Reduced-precision storage of maps in [0, 1] (CAMs), so that gzip compresses them well.

Two encodings: 8-bit levels (:func:`to_unit_levels`, steps of 1/255, an absolute error
of at most 1/510), and float16 with a rounded mantissa (:func:`round_mantissa`).

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


UNIT_LEVELS = 255


def to_unit_levels(values: np.ndarray) -> np.ndarray:
    """``values`` in [0, 1] as uint8 levels ``round(values * 255)`` (clipped to [0, 255])."""
    return np.clip(np.rint(np.asarray(values, dtype=np.float32) * UNIT_LEVELS), 0, UNIT_LEVELS).astype(np.uint8)


def from_unit_levels(levels: np.ndarray) -> np.ndarray:
    """float32 values of uint8 levels written by :func:`to_unit_levels`."""
    return np.asarray(levels, dtype=np.float32) / np.float32(UNIT_LEVELS)
