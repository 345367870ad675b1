"""Step ``make-demo``: write the synthetic demo dataset (VOC layout) that the default run uses."""

from __future__ import annotations

import logging

from wsgcn.data.demo import write_demo_dataset

log = logging.getLogger(__name__)


def make_demo(root: str, num_images: int, seed: int, height: int, width: int) -> None:
    """Write ``num_images`` demo images (``height`` x ``width`` pixels), masks and labels under ``root``."""
    ids = write_demo_dataset(root, num_images, seed, (height, width))
    log.info("wrote %d demo images to %s", len(ids), root)
