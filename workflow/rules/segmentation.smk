# Stage II: the segmentation training set from a pseudo-label set, DeepLabv2 training,
# inference + CRF on the evaluation split, evaluation. One chain per label set: the
# configured one (segmentation.labels) and each of segmentation.compare_labels.

from wsgcn.segmentation.training_set import holdout_split

SEG = config["segmentation"]
SEG_TRAIN_SPEC = step_spec(segmentation={key: SEG[key] for key in ("model", "train")})
SEG_INFER_SPEC = step_spec(segmentation={key: SEG[key] for key in ("model", "crf")})


def _seg_split():
    """(train ids, eval ids, the lists' sources) of the segmenter, as the seg_split rule writes them."""
    train_list = str(DATASET.root / SEG["train_list"]) if SEG["train_list"] else INFER_LIST
    train_ids = INFER_IDS if train_list == INFER_LIST else read_id_list(train_list)
    if SEG["holdout"]:
        if SEG["holdout"] >= len(train_ids):
            raise WsgcnError(f"segmentation.holdout: {SEG['holdout']} leaves no training image of {len(train_ids)}")
        return (*holdout_split(train_ids, SEG["holdout"], SEG["holdout_seed"]), train_list, None)
    if not SEG["eval_list"]:
        raise WsgcnError("segmentation.eval_list: required when segmentation.holdout is 0")
    eval_list = str(DATASET.root / SEG["eval_list"])
    return train_ids, read_id_list(eval_list), train_list, eval_list


SEG_TRAIN_IDS, SEG_EVAL_IDS, SEG_TRAIN_SOURCE, SEG_EVAL_SOURCE = _seg_split()
_without_labels = sorted(set(SEG_TRAIN_IDS) - set(INFER_IDS))
if _without_labels and {SEG["labels"], *SEG["compare_labels"]} != {"ground_truth"}:
    raise WsgcnError(
        f"segmentation.train_list: {len(_without_labels)} ids have no pseudo labels (not in dataset.lists.infer),"
        f" e.g. {_without_labels[:3]}"
    )
SEG_SPLIT_DIR, _ = _stage(
    "seg_split",
    {
        "train": text_digest(*SEG_TRAIN_IDS),
        "eval": text_digest(*SEG_EVAL_IDS),
        "holdout": SEG["holdout"],
        "holdout_seed": SEG["holdout_seed"],
    },
)
SEG_TRAIN_LIST = f"{SEG_SPLIT_DIR}/train.txt"
SEG_EVAL_LIST = f"{SEG_SPLIT_DIR}/eval.txt"
SEG_SHARDS = make_shards(SEG_EVAL_IDS, config["sharding"]["images_per_shard"])

PSEUDO_LABEL_DIRS = {"gcn_crf": GCN_CRF_DIR, "gcn": GCN_DIR, "rw": RW_DIR, "rw_crf": RW_CRF_DIR, "ground_truth": None}
LABEL_SET_TITLES = {
    "gcn_crf": "GCN + CRF",
    "gcn": "GCN",
    "rw": "RW",
    "rw_crf": "RW + CRF",
    "ground_truth": "ground truth",
}


def _seg_chain(source):
    """Folders of one label set's chain: training set, trained model, segmentation, + CRF."""
    label_dir = PSEUDO_LABEL_DIRS[source]
    upstream = label_dir.split("/")[-1] if label_dir else text_digest(EVAL_SPEC)
    data_dir, data_hash = _stage("seg_data", {"labels": source, "train_ids": text_digest(*SEG_TRAIN_IDS)}, upstream)
    train_dir, train_hash = _stage("train_seg", {"model": SEG["model"], "train": SEG["train"]}, data_hash)
    seg_dir, seg_hash = _stage("seg", {"eval_ids": text_digest(*SEG_EVAL_IDS)}, train_hash)
    crf_dir, _ = _stage("seg_crf", {"crf": SEG["crf"]}, seg_hash)
    return {"labels": label_dir, "data": data_dir, "train": train_dir, "seg": seg_dir, "seg_crf": crf_dir}


SEG_CHAINS = {source: _seg_chain(source) for source in dict.fromkeys([SEG["labels"], *SEG["compare_labels"]])}
SEG_FOLDERS = {}
for _source, _chain in SEG_CHAINS.items():
    SEG_FOLDERS[_chain["seg"]] = f"DeepLabv2 on {LABEL_SET_TITLES[_source]} labels"
    SEG_FOLDERS[_chain["seg_crf"]] = f"DeepLabv2 on {LABEL_SET_TITLES[_source]} labels + CRF"


def _pseudo_label_manifests(source):
    folder = PSEUDO_LABEL_DIRS[source]
    return shard_manifests(folder) if folder else mask_files(SEG_TRAIN_IDS)


rule seg_split:
    input:
        train_list=SEG_TRAIN_SOURCE,
        eval_list=SEG_EVAL_SOURCE or [],
    output:
        train=SEG_TRAIN_LIST,
        eval=SEG_EVAL_LIST,
    log:
        f"logs/{DATASET_NAME}/seg_split.log",
    localrule: True
    shell:
        step_command(
            "seg-split",
            train_list="{input.train_list:q}",
            holdout=SEG["holdout"],
            seed=SEG["holdout_seed"],
            train_out="{output.train:q}",
            eval_out="{output.eval:q}",
            eval_list=SEG_EVAL_SOURCE,
        )


# Values of a loop iteration reach the command through params: Snakemake builds the shell
# command again when the job runs, after the loop has moved on.
for _source, _chain in SEG_CHAINS.items():

    rule:
        name:
            f"seg_data_{_source}"
        input:
            labels=_pseudo_label_manifests(_source),
            train_list=SEG_TRAIN_LIST,
            params_record=f"{_chain['data']}/params.yaml",
            code=step_code("seg_data"),
        output:
            manifest=f"{_chain['data']}/training_set.json",
            stats_csv=f"{_chain['data']}/label_statistics.csv",
            stats_markdown=f"{_chain['data']}/label_statistics.md",
        log:
            f"logs/{DATASET_NAME}/seg_data/{_chain['data'].split('/')[-1]}.log",
        params:
            spec=EVAL_SPEC,
            source=_source,
            label_dir=_chain["labels"] or "",
        shell:
            step_command(
                "seg-data",
                spec="{params.spec:q}",
                ids="{input.train_list:q}",
                source="{params.source:q}",
                manifest_path="{output.manifest:q}",
                stats_csv="{output.stats_csv:q}",
                stats_md="{output.stats_markdown:q}",
                label_dir="{params.label_dir:q}",
            )

    rule:
        name:
            f"train_seg_{_source}"
        input:
            manifest=f"{_chain['data']}/training_set.json",
            code=step_code("train_seg"),
        output:
            model=f"{_chain['train']}/model.pt",
            history=f"{_chain['train']}/history.csv",
        log:
            f"logs/{DATASET_NAME}/train_seg/{_chain['train'].split('/')[-1]}.log",
        benchmark:
            f"logs/{DATASET_NAME}/benchmarks/train_seg/{_chain['train'].split('/')[-1]}.tsv"
        threads: 8
        resources:
            mem_mb=8000,
            runtime=1440,
        params:
            spec=SEG_TRAIN_SPEC,
            checkpoint=f"{_chain['train']}/checkpoint.pt",
        shell:
            step_command(
                "train-seg",
                spec="{params.spec:q}",
                manifest_path="{input.manifest:q}",
                model_path="{output.model:q}",
                checkpoint_path="{params.checkpoint:q}",
                history_path="{output.history:q}",
                device=DEVICE,
                threads="{threads}",
            )

    rule:
        name:
            f"segment_{_source}"
        input:
            model=f"{_chain['train']}/model.pt",
            images=lambda wc: image_files(SEG_SHARDS[wc.shard]),
            code=step_code("segment"),
        output:
            seg=f"{_chain['seg']}/shards/{{shard}}.json",
            seg_crf=f"{_chain['seg_crf']}/shards/{{shard}}.json",
        log:
            f"logs/{DATASET_NAME}/segment/{_chain['seg_crf'].split('/')[-1]}/{{shard}}.log",
        benchmark:
            f"logs/{DATASET_NAME}/benchmarks/segment/{_chain['seg_crf'].split('/')[-1]}/{{shard}}.tsv"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=240,
        params:
            spec=SEG_INFER_SPEC,
            ids=lambda wc: canonical_json(SEG_SHARDS[wc.shard]),
            seg_dir=_chain["seg"],
            seg_crf_dir=_chain["seg_crf"],
        shell:
            step_command(
                "segment",
                spec="{params.spec:q}",
                ids="{params.ids:q}",
                model_path="{input.model:q}",
                seg_dir="{params.seg_dir:q}",
                seg_crf_dir="{params.seg_crf_dir:q}",
                seg_manifest="{output.seg:q}",
                seg_crf_manifest="{output.seg_crf:q}",
                device=DEVICE,
                threads="{threads}",
            )


rule eval_seg:
    # The same evaluator as every other label set, over the segmenter's evaluation split.
    input:
        manifests=lambda wc: expand(f"{_label_folder(wc)}/shards/{{shard}}.json", shard=SEG_SHARDS),
        masks=mask_files(SEG_EVAL_IDS),
        eval_list=SEG_EVAL_LIST,
        params_record=lambda wc: f"{_label_folder(wc)}/params.yaml",
        code=step_code("eval_labels"),
    output:
        csv=f"{RESULTS}/{DATASET_NAME}/{{stage}}/{{digest}}/eval/miou.csv",
        markdown=f"{RESULTS}/{DATASET_NAME}/{{stage}}/{{digest}}/eval/miou.md",
    log:
        f"logs/{DATASET_NAME}/eval_seg/{{stage}}-{{digest}}.log",
    wildcard_constraints:
        stage="seg|seg_crf",
        digest="[0-9a-f]{10}",
    params:
        spec=EVAL_SPEC,
        folder=_label_folder,
        name=lambda wc: SEG_FOLDERS[_label_folder(wc)],
    shell:
        step_command(
            "eval-labels",
            spec="{params.spec:q}",
            ids="{input.eval_list:q}",
            folder="{params.folder:q}",
            what="{params.name:q}",
            partial=False,
            csv_path="{output.csv:q}",
            markdown_path="{output.markdown:q}",
        )
