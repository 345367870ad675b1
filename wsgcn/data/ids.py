"""Image ids and image-list files.

Ids are validated before they reach a path or a shell: only letters, digits and
``_ - .`` are allowed, and an id may not start with ``.`` or ``-``.
"""

from __future__ import annotations

import re
from pathlib import Path

from wsgcn.errors import InputError
from wsgcn.io.atomic import write_text_atomic

_ID_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_MAX_ID_LENGTH = 200


def validate_image_id(image_id: str, where: str = "") -> str:
    """Return ``image_id`` unchanged if it is a safe id, else raise :class:`InputError`."""
    if not isinstance(image_id, str) or not _ID_PATTERN.fullmatch(image_id) or len(image_id) > _MAX_ID_LENGTH:
        place = f" in {where}" if where else ""
        raise InputError(
            f"invalid image id {image_id!r}{place}: ids may only contain letters, digits, '_', '-' and '.', "
            f"must not start with '.' or '-', and are at most {_MAX_ID_LENGTH} characters"
        )
    return image_id


def _id_from_line(line: str) -> str:
    """The id named by one list line, bare (``2007_000032``) or DeepLab style.

    DeepLab style is ``/JPEGImages/2007_000032.jpg /SegmentationClassAug/2007_000032.png``:
    the id is the stem of the first path.
    """
    first = line.split()[0]
    if "/" in first or first.lower().endswith((".jpg", ".jpeg", ".png")):
        stem = first.rsplit("/", 1)[-1]
        return stem.rsplit(".", 1)[0] if "." in stem else stem
    return first


def read_id_list(path: str | Path) -> list[str]:
    """Read an image list in either VOC format, validating every id.

    Blank lines and lines starting with ``#`` are skipped. Duplicate ids are an error.
    Returns the ids in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image list {path} does not exist")
    ids: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        image_id = validate_image_id(_id_from_line(line), where=f"{path}:{number}")
        if image_id in seen:
            raise InputError(f"duplicate image id {image_id!r} in {path} (lines {seen[image_id]} and {number})")
        seen[image_id] = number
        ids.append(image_id)
    if not ids:
        raise InputError(f"image list {path} contains no image ids")
    return ids


def write_id_list(path: str | Path, ids: list[str]) -> None:
    """Write bare ids, one per line (the IRNet list format), atomically."""
    for image_id in ids:
        validate_image_id(image_id)
    write_text_atomic(path, "".join(f"{i}\n" for i in ids))
