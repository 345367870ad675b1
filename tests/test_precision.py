import re

import numpy as np
import pytest

from wsgcn.cam.files import encode_cam_map, read_cam
from wsgcn.io.h5store import write_arrays
from wsgcn.io.precision import from_unit_levels, round_mantissa, to_unit_levels


def test_rounding_matches_a_naive_decimal_computation():
    values = np.array([0.0, 0.15, 0.3, 0.999, 1.0, 1e-3, 6.1e-5, -0.7, 3.3], dtype=np.float16)
    for bits in (3, 7):
        out = round_mantissa(values, bits)
        for value, got in zip(values.astype(np.float64), out.astype(np.float64), strict=False):
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


def test_unit_levels_round_to_the_nearest_255th():
    values = np.array([0.0, 0.05, 0.0019, 0.002, 0.33, 0.998, 1.0, 1.2, -0.1], dtype=np.float32)
    levels = to_unit_levels(values)
    assert levels.dtype == np.uint8
    assert levels.tolist() == [0, 13, 0, 1, 84, 254, 255, 255, 0]  # 0.05*255 = 12.75, 0.33*255 = 84.15
    assert from_unit_levels(levels).tolist() == pytest.approx([v / 255 for v in levels.tolist()], abs=1e-7)
    inside = values[(values >= 0) & (values <= 1)]
    assert np.abs(from_unit_levels(to_unit_levels(inside)) - inside).max() <= 1 / 510 + 1e-7


@pytest.mark.parametrize("storage, dtype", [("uint8", np.uint8), ("float16", np.float16), ("float32", np.float32)])
def test_cam_files_read_back_as_float32_whichever_the_storage(tmp_path, storage, dtype):
    maps = np.random.default_rng(0).random((2, 40, 50)).astype(np.float32)
    path = tmp_path / "cam.h5"
    write_arrays(path, {"keys": np.array([3, 7], np.int16), "high_res": encode_cam_map(maps, storage, 7)}, {})
    arrays = read_cam(path, ("keys", "high_res"))
    assert arrays["keys"].tolist() == [3, 7]
    assert arrays["high_res"].dtype == np.float32
    bound = {"uint8": 1 / 510 + 1e-6, "float16": 2.0**-8 + 1e-6, "float32": 0.0}[storage]
    assert np.abs(arrays["high_res"] - maps).max() <= bound
    import h5py

    with h5py.File(path) as handle:
        assert handle["high_res"].dtype == dtype
    with pytest.raises(ValueError, match=re.escape("cam.infer.storage")):
        encode_cam_map(maps, "int4", 7)
