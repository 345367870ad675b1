"""Step ``seg-split``: the segmenter's training and evaluation id lists.

The split spec has keys ``train_list`` (an id-list file), ``holdout`` and ``seed``, and
``eval_list`` (an id-list file, or null with a holdout).
"""

from __future__ import annotations

from wsgcn.data.ids import read_id_list
from wsgcn.io.atomic import write_text_atomic
from wsgcn.params import Spec
from wsgcn.segmentation.training_set import holdout_split


def seg_split(split: Spec, train_out: str, eval_out: str) -> None:
    """Write the ids to train on (``train_out``) and to evaluate on (``eval_out``).

    With ``holdout`` > 0, a seeded hash of each id holds that many ids of ``train_list``
    out for evaluation; with 0, the evaluation ids are those of ``eval_list``.
    """
    train_ids = read_id_list(split["train_list"])
    if split["holdout"]:
        train_ids, eval_ids = holdout_split(train_ids, split["holdout"], split["seed"])
    elif split["eval_list"] is None:
        raise ValueError("seg_split: eval_list is required when holdout is 0")
    else:
        eval_ids = read_id_list(split["eval_list"])
    write_text_atomic(train_out, "\n".join(train_ids) + "\n")
    write_text_atomic(eval_out, "\n".join(eval_ids) + "\n")
