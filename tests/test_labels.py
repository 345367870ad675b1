import re
from pathlib import Path

import numpy as np
import pytest
from conftest import make_dataset
from PIL import Image

from wsgcn.data.classes import VOC_CLASSES, voc_palette
from wsgcn.data.labels import labels_from_mask, labels_from_xml, multi_hot, read_label_csv
from wsgcn.errors import ConfigError, InputError

VOC_XML = """<annotation>
  <filename>2007_000032.jpg</filename>
  <object><name>aeroplane</name><truncated>0</truncated><difficult>0</difficult></object>
  <object><name>person</name><truncated>1</truncated><difficult>1</difficult>
    <part><name>head</name></part><part><name>hand</name></part>
  </object>
  <object><name>aeroplane</name></object>
</annotation>
"""


def test_xml_labels_skip_part_names_and_count_difficult(tmp_path: Path):
    path = tmp_path / "a.xml"
    path.write_text(VOC_XML)
    assert labels_from_xml(path, VOC_CLASSES) == (VOC_CLASSES.index("aeroplane"), VOC_CLASSES.index("person"))


def test_xml_errors_name_the_file(tmp_path: Path):
    with pytest.raises(InputError, match=re.escape("missing.xml")):
        labels_from_xml(tmp_path / "missing.xml", VOC_CLASSES)
    broken = tmp_path / "broken.xml"
    broken.write_text("<annotation><object>")
    with pytest.raises(InputError, match=re.escape("broken.xml: invalid XML")):
        labels_from_xml(broken, VOC_CLASSES)


def _save_palette_mask(path: Path, mask: np.ndarray) -> None:
    image = Image.fromarray(mask.astype(np.uint8), mode="P")
    image.putpalette(voc_palette().flatten().tolist())
    image.save(path)


def test_mask_labels_ignore_background_and_void(tmp_path: Path):
    mask = np.zeros((10, 12), dtype=np.uint8)
    mask[2:5, 2:5] = 15  # person
    mask[6:8, 1:3] = 1  # aeroplane
    mask[0, :] = 255
    path = tmp_path / "m.png"
    _save_palette_mask(path, mask)
    assert labels_from_mask(path, VOC_CLASSES) == (0, 14)
    grey = tmp_path / "grey.png"
    Image.fromarray(mask, mode="L").save(grey)
    assert labels_from_mask(grey, VOC_CLASSES) == (0, 14)


def test_mask_with_out_of_range_values_is_rejected(tmp_path: Path):
    mask = np.zeros((4, 4), dtype=np.uint8)
    mask[0, 0] = 21
    path = tmp_path / "bad.png"
    _save_palette_mask(path, mask)
    with pytest.raises(InputError, match=r"bad.png: mask values \[21\]"):
        labels_from_mask(path, VOC_CLASSES)


def test_csv_labels(tmp_path: Path):
    path = tmp_path / "labels.csv"
    path.write_text("image_id,labels\nimg1,cat dog\nimg2,\nimg3,person;cat\n")
    table = read_label_csv(path, VOC_CLASSES)
    cat, dog, person = (VOC_CLASSES.index(n) for n in ("cat", "dog", "person"))
    assert table == {"img1": (cat, dog), "img2": (), "img3": tuple(sorted((person, cat)))}


@pytest.mark.parametrize(
    "content, message",
    [
        ("id,labels\na,cat\n", "expected a header"),
        ("image_id,labels\na,cat\na,dog\n", r"labels.csv:3: duplicate image id 'a'"),
        ("image_id,labels\na,kitten\n", r"labels.csv:2: unknown class names \['kitten'\]"),
        ("image_id,labels\n../x,cat\n", "invalid image id"),
    ],
)
def test_csv_errors(tmp_path: Path, content: str, message: str):
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_label_csv(path, VOC_CLASSES)


def test_dataset_label_sources_agree(tmp_path: Path):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "SegmentationClass").mkdir()
    (tmp_path / "Annotations" / "x.xml").write_text("<annotation><object><name>cat</name></object></annotation>")
    mask = np.zeros((4, 4), dtype=np.uint8)
    mask[1, 1] = VOC_CLASSES.index("cat") + 1
    _save_palette_mask(tmp_path / "SegmentationClass" / "x.png", mask)
    (tmp_path / "labels.csv").write_text("image_id,labels\nx,cat\n")
    expected = (VOC_CLASSES.index("cat"),)
    for source in ("xml", "mask", "csv"):
        dataset = make_dataset(tmp_path, VOC_CLASSES, source, tmp_path / "labels.csv")
        assert dataset.image_labels("x") == expected
    with pytest.raises(InputError, match="no labels for image 'y'"):
        make_dataset(tmp_path, VOC_CLASSES, "csv", tmp_path / "labels.csv").image_labels("y")


def test_custom_class_names(tmp_path: Path):
    path = tmp_path / "a.xml"
    path.write_text("<annotation><object><name>widget</name></object><object><name>cat</name></object></annotation>")
    assert labels_from_xml(path, ("gadget", "widget")) == (1,)


def test_bad_label_source_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match=re.escape("dataset.labels.source")):
        make_dataset(tmp_path, VOC_CLASSES, "json")
    with pytest.raises(ConfigError, match=re.escape("dataset.labels.csv")):
        make_dataset(tmp_path, VOC_CLASSES, "csv")


def test_multi_hot():
    assert multi_hot((0, 3), 5).tolist() == [1, 0, 0, 1, 0]
