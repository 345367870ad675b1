# Stage II: the segmentation training set from a pseudo-label set, DeepLabv2 training,
# inference + CRF on the evaluation split. One chain per label set: the configured one
# (segmentation.labels), each of segmentation.compare_labels, and each setting of a sweep
# with segmentation: true; chains share every folder they agree on.


def _split(wildcards):
    """(train ids, eval ids, train list file, eval list file or None) of a seg_split folder."""
    return SEG_SPLITS[_stage_of("seg_split", wildcards).folder]


def _seg_shard_ids(stage):
    """Input function: the ids of this job's shard of a seg or seg_crf folder's split."""
    return lambda wildcards: seg_shards(_stage_of(stage, wildcards).upstream["seg_split"])[wildcards.shard]


rule seg_split:
    input:
        train_list=lambda wildcards: _split(wildcards)[2],
        eval_list=lambda wildcards: _split(wildcards)[3] or [],
    output:
        train=f"{stage_dir('seg_split')}/train.txt",
        eval=f"{stage_dir('seg_split')}/eval.txt",
    log:
        f"logs/{DATASET_NAME}/seg_split/{{digest}}.log",
    localrule: True
    params:
        split=lambda wildcards: canonical_json(
            {
                "train_list": _split(wildcards)[2],
                "eval_list": _split(wildcards)[3],
                "holdout": _stage_of("seg_split", wildcards).params["holdout"],
                "seed": _stage_of("seg_split", wildcards).params["holdout_seed"],
            }
        ),
    shell:
        step_command("seg-split", split="{params.split:q}", train_out="{output.train:q}", eval_out="{output.eval:q}")


def _training_labels(wildcards):
    """What a training set reads: the pseudo-label folder's manifests, the external label
    maps, or the masks."""
    entry = _stage_of("seg_data", wildcards)
    if "labels" in entry.upstream:
        return shard_manifests(entry.upstream["labels"])
    train_ids = SEG_SPLITS[entry.upstream["seg_split"]][0]
    if entry.params["labels"] == "external":
        return [f"{entry.params['label_dir']}/{image_id}.png" for image_id in train_ids]
    return mask_files(train_ids)


def _labels_spec(wildcards):
    """The --spec of a training set: the dataset and its labels' source and folder (a
    pseudo-label stage's, the external one, or none for the masks)."""
    entry = _stage_of("seg_data", wildcards)
    folder = entry.upstream.get("labels", entry.params.get("label_dir", ""))
    return step_spec(labels={"source": entry.params["labels"], "dir": folder})


rule seg_data:
    input:
        labels=_training_labels,
        train_list=upstream_file("seg_data", "seg_split", "train.txt"),
        params_record=f"{stage_dir('seg_data')}/params.yaml",
        code=step_code("seg_data"),
    output:
        manifest=f"{stage_dir('seg_data')}/training_set.json",
        stats_csv=f"{stage_dir('seg_data')}/label_statistics.csv",
        stats_markdown=f"{stage_dir('seg_data')}/label_statistics.md",
    log:
        f"logs/{DATASET_NAME}/seg_data/{{digest}}.log",
    params:
        spec=_labels_spec,
    shell:
        step_command(
            "seg-data",
            spec="{params.spec:q}",
            ids="{input.train_list:q}",
            manifest_path="{output.manifest:q}",
            stats_csv="{output.stats_csv:q}",
            stats_md="{output.stats_markdown:q}",
        )


rule train_seg:
    input:
        manifest=upstream_file("train_seg", "seg_data", "training_set.json"),
        code=step_code("train_seg"),
    output:
        model=f"{stage_dir('train_seg')}/model.pt",
        history=f"{stage_dir('train_seg')}/history.csv",
    log:
        f"logs/{DATASET_NAME}/train_seg/{{digest}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_seg/{{digest}}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=1440,
    params:
        spec=spec_of("train_seg"),
        checkpoint=f"{stage_dir('train_seg')}/checkpoint.pt",
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


rule segment:
    input:
        model=upstream_file("seg", "train_seg", "model.pt"),
        images=lambda wildcards: image_files(_seg_shard_ids("seg")(wildcards)),
        code=step_code("segment"),
    output:
        manifest=f"{stage_dir('seg')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/seg/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/seg/{{digest}}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        spec=spec_of("seg"),
        ids=lambda wildcards: canonical_json(_seg_shard_ids("seg")(wildcards)),
        folder=stage_dir("seg"),
    shell:
        step_command(
            "segment",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            model_path="{input.model:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule seg_crf:
    input:
        seg=upstream_manifest("seg_crf", "seg"),
        code=step_code("seg_crf"),
    output:
        manifest=f"{stage_dir('seg_crf')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/seg_crf/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/seg_crf/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=spec_of("seg_crf"),
        ids=lambda wildcards: canonical_json(_seg_shard_ids("seg_crf")(wildcards)),
        seg_dir=upstream_of("seg_crf", "seg"),
        folder=stage_dir("seg_crf"),
    shell:
        step_command(
            "seg-crf",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            seg_dir="{params.seg_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )
