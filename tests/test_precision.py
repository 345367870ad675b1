import numpy as np
import pytest

from wsgcn.io.precision import round_mantissa


def test_rounding_matches_a_naive_decimal_computation():
    values = np.array([0.0, 0.15, 0.3, 0.999, 1.0, 1e-3, 6.1e-5, -0.7, 3.3], dtype=np.float16)
    for bits in (3, 7):
        out = round_mantissa(values, bits)
        for value, got in zip(values.astype(np.float64), out.astype(np.float64)):
            if value == 0:
                assert got == 0
                continue
            exponent = max(np.floor(np.log2(abs(value))), -14)  # float16 subnormals share exponent -14
            step = 2.0 ** (exponent - bits)
            expected = np.sign(value) * np.floor(abs(value) / step + 0.5) * step
            assert got == pytest.approx(expected, rel=0, abs=1e-12)


def test_error_bound_and_full_precision_identity():
    rng = np.random.default_rng(0)
    values = rng.random(10_000).astype(np.float16)
    out = round_mantissa(values, 7).astype(np.float64)
    nonzero = values != 0
    assert np.all(np.abs(out[nonzero] - values[nonzero]) / values[nonzero].astype(np.float64) <= 2.0**-8)
    assert np.array_equal(round_mantissa(values, 10), values)
    assert np.isfinite(round_mantissa(np.array([65504.0], np.float16), 2)).all()
    with pytest.raises(ValueError):
        round_mantissa(values, 0)
