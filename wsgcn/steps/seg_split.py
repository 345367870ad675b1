"""Step ``seg-split``: the segmenter's training and evaluation id lists."""

from __future__ import annotations

from wsgcn.data.ids import read_id_list
from wsgcn.io.atomic import write_text_atomic
from wsgcn.segmentation.training_set import holdout_split


def seg_split(
    train_list: str, holdout: int, seed: int, train_out: str, eval_out: str, eval_list: str | None = None
) -> None:
    """Write the ids to train on (``train_out``) and to evaluate on (``eval_out``).

    With ``holdout`` > 0, a seeded hash of each id holds that many ids of ``train_list``
    out for evaluation; with 0, the evaluation ids are those of ``eval_list``.
    """
    train_ids = read_id_list(train_list)
    if holdout:
        train_ids, eval_ids = holdout_split(train_ids, holdout, seed)
    elif eval_list is None:
        raise ValueError("seg_split: eval_list is required when holdout is 0")
    else:
        eval_ids = read_id_list(eval_list)
    write_text_atomic(train_out, "\n".join(train_ids) + "\n")
    write_text_atomic(eval_out, "\n".join(eval_ids) + "\n")
