# Stage 1: the CAM classifier, per-image CAMs (in stable shards) and their evaluation.
# Each rule writes any registered folder of its stage: <stage>/<digest>.


rule train_cam:
    input:
        images=image_files(TRAIN_IDS),
        labels=label_files(TRAIN_IDS),
        image_list=TRAIN_LIST,
        # ancient: a check rerun for an image added to the infer list only must not retrain
        checks=ancient(check_records(TRAIN_IDS)),
        code=step_code("train_cam"),
        code_stamp=f"{CODE_STAMP_DIR}/train_cam.json",
    output:
        model=f"{stage_dir('train_cam')}/model.pt",
        history=f"{stage_dir('train_cam')}/history.csv",
    log:
        f"logs/{DATASET_NAME}/train_cam/{{digest}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_cam/{{digest}}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        spec=spec_of("train_cam"),
        checkpoint=f"{stage_dir('train_cam')}/checkpoint.pt",
    shell:
        step_command(
            "train-cam",
            spec="{params.spec:q}",
            ids="{input.image_list:q}",
            model_path="{output.model:q}",
            checkpoint_path="{params.checkpoint:q}",
            history_path="{output.history:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule cam:
    input:
        model=upstream_file("cam", "train_cam", "model.pt"),
        # the shard's input check record stands for its images and labels: it is rewritten
        # whenever one of them changes (listing them again costs seconds per dry run)
        check=f"{CHECK_DIR}/{{shard}}.json",
        code=step_code("cam"),
    output:
        manifest=f"{stage_dir('cam')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/cam/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/cam/{{digest}}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        spec=spec_of("cam"),
        ids=shard_ids_json,
        folder=stage_dir("cam"),
    shell:
        step_command(
            "cam",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            model_path="{input.model:q}",
            cam_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


# cam.source external: another method's CAM files, checked and stored as this project's
# (stage cam_import). Each shard lists its files, so replacing one reruns that shard, where
# only the replaced image is recomputed.
rule import_cam:
    input:
        external=lambda wildcards: external_cam_files(_stage_of("cam_import", wildcards), SHARDS[wildcards.shard]),
        check=f"{CHECK_DIR}/{{shard}}.json",
        code=step_code("import_cam"),
    output:
        manifest=f"{stage_dir('cam_import')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/cam_import/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/cam_import/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=spec_of("cam_import"),
        ids=shard_ids_json,
        folder=stage_dir("cam_import"),
    shell:
        step_command(
            "import-cam",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )


# The CAM evaluation is a stage of its own (cam_eval/<digest>, parameters cam.eval), so a
# change of the evaluation threshold reruns the evaluation only.
rule eval_cam:
    input:
        manifests=lambda wildcards: shard_manifests(upstream_of("cam_eval", "cam")(wildcards)),
        masks=mask_files(EVAL_IDS),
        eval_list=EVAL_LIST,
        params_record=f"{stage_dir('cam_eval')}/params.yaml",
        code=step_code("eval_cam"),
    output:
        csv=f"{stage_dir('cam_eval')}/cam_miou.csv",
        markdown=f"{stage_dir('cam_eval')}/cam_miou.md",
        sweep_csv=f"{stage_dir('cam_eval')}/threshold_sweep.csv",
        sweep_markdown=f"{stage_dir('cam_eval')}/threshold_sweep.md",
        summary=f"{stage_dir('cam_eval')}/summary.json",
    log:
        f"logs/{DATASET_NAME}/eval_cam/{{digest}}.log",
    params:
        spec=EVAL_SPEC,
        cam_dir=upstream_of("cam_eval", "cam"),
        threshold=lambda wildcards: _stage_of("cam_eval", wildcards).params["eval"]["threshold"],
        sweep=lambda wildcards: _stage_of("cam_eval", wildcards).params["eval"]["sweep_thresholds"],
    shell:
        step_command(
            "eval-cam",
            spec="{params.spec:q}",
            ids="{input.eval_list:q}",
            cam_dir="{params.cam_dir:q}",
            threshold="{params.threshold}",
            sweep="{params.sweep}",
            csv_path="{output.csv:q}",
            markdown_path="{output.markdown:q}",
            sweep_csv_path="{output.sweep_csv:q}",
            sweep_markdown_path="{output.sweep_markdown:q}",
            summary_path="{output.summary:q}",
        )
