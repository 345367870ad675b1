import numpy as np
import pytest

from wsgcn.evaluation.confusion import confusion_matrix, iou_per_class, mean_iou
from wsgcn.evaluation.tables import iou_table, markdown_table


def test_hand_computed_confusion_with_ignore_and_absent_classes():
    truth = np.array([[0, 0, 1, 1], [0, 255, 1, 2], [255, 255, 2, 2]])
    pred = np.array([[0, 1, 1, 1], [255, 1, 0, 2], [3, 0, 2, 1]])
    confusion = confusion_matrix(pred, truth, num_classes=4)
    expected = np.zeros((4, 4), dtype=np.int64)
    # GT 0 at (0,0),(0,1),(1,0): predicted 0, 1, 255->0
    expected[0, 0] += 2
    expected[0, 1] += 1
    # GT 1 at (0,2),(0,3),(1,2): predicted 1, 1, 0
    expected[1, 1] += 2
    expected[1, 0] += 1
    # GT 2 at (1,3),(2,2),(2,3): predicted 2, 2, 1
    expected[2, 2] += 2
    expected[2, 1] += 1
    # GT 255 pixels (with predictions 1, 3, 0) are ignored
    assert np.array_equal(confusion, expected)
    iou = iou_per_class(confusion)
    # class 0: TP 2, FP 1 (from GT 1), FN 1 -> 2/4 ; class 1: TP 2, FP 2, FN 1 -> 2/5
    # class 2: TP 2, FP 0, FN 1 -> 2/3 ; class 3: absent from GT and (valid) prediction -> NaN
    assert iou[:3] == pytest.approx([0.5, 0.4, 2 / 3])
    assert np.isnan(iou[3])
    assert mean_iou(confusion) == pytest.approx((0.5 + 0.4 + 2 / 3) / 3)


def test_out_of_range_prediction_and_shape_mismatch_raise():
    with pytest.raises(ValueError, match="outside"):
        confusion_matrix(np.array([[7]]), np.array([[0]]), 4)
    with pytest.raises(ValueError, match="shape"):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 3)), 4)


def test_table_and_markdown():
    confusion = np.array([[3, 1, 0], [0, 2, 0], [0, 0, 0]])
    table = iou_table(confusion, ["cat", "dog"])
    assert table["class"].tolist() == ["background", "cat", "dog", "mIoU"]
    assert table["iou"].iloc[0] == pytest.approx(75.0)
    assert table["iou"].iloc[1] == pytest.approx(200 / 3)
    assert np.isnan(table["iou"].iloc[2])
    assert table["iou"].iloc[3] == pytest.approx((75.0 + 200 / 3) / 2)
    text = markdown_table(table)
    assert "| dog | - | 0 | 0 |" in text and "| mIoU | 70.83 |" in text
