from pathlib import Path

import pytest

from wsgcn.data.ids import read_id_list, validate_image_id, write_id_list
from wsgcn.errors import InputError


@pytest.mark.parametrize("good", ["2007_000032", "img-1.v2", "A_b-c.d", "0"])
def test_valid_ids_pass(good):
    assert validate_image_id(good) == good


@pytest.mark.parametrize(
    "bad", ["", "../etc/passwd", "a b", "x;rm -rf", ".hidden", "-flag", "a/b", "é", "a$b", "x" * 201]
)
def test_invalid_ids_are_rejected_with_the_id_in_the_message(bad):
    with pytest.raises(InputError, match="invalid image id"):
        validate_image_id(bad, where="list.txt:3")


def test_bare_list(tmp_path: Path):
    path = tmp_path / "train.txt"
    path.write_text("2007_000032\n\n# comment\n2007_000039  \n")
    assert read_id_list(path) == ["2007_000032", "2007_000039"]


def test_deeplab_style_list(tmp_path: Path):
    path = tmp_path / "train_aug.txt"
    path.write_text(
        "/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png\n"
        "/JPEGImages/2008_000002.jpg /SegmentationClassAug/2008_000002.png\n"
    )
    assert read_id_list(path) == ["2007_000032", "2008_000002"]


def test_duplicate_ids_name_both_lines(tmp_path: Path):
    path = tmp_path / "dup.txt"
    path.write_text("a\nb\na\n")
    with pytest.raises(InputError, match=r"duplicate image id 'a'.*lines 1 and 3"):
        read_id_list(path)


def test_bad_id_in_list_names_file_and_line(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text("good_id\nbad;id\n")
    with pytest.raises(InputError, match=r"bad\.txt:2"):
        read_id_list(path)


def test_missing_and_empty_lists(tmp_path: Path):
    with pytest.raises(InputError, match="does not exist"):
        read_id_list(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("\n# nothing\n")
    with pytest.raises(InputError, match="no image ids"):
        read_id_list(tmp_path / "empty.txt")


def test_write_then_read_round_trip(tmp_path: Path):
    ids = ["a", "b_1", "c-2.x"]
    write_id_list(tmp_path / "l.txt", ids)
    assert read_id_list(tmp_path / "l.txt") == ids
