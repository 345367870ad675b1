# Stage 1: the CAM classifier, per-image CAMs (in stable shards) and their evaluation.


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
        model=f"{TRAIN_CAM_DIR}/model.pt",
        history=f"{TRAIN_CAM_DIR}/history.csv",
    log:
        f"logs/{DATASET_NAME}/train_cam/{TRAIN_CAM_HASH}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_cam/{TRAIN_CAM_HASH}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        spec=TRAIN_CAM_SPEC,
    shell:
        step_command(
            "train-cam",
            spec="{params.spec:q}",
            ids="{input.image_list:q}",
            model_path="{output.model:q}",
            checkpoint_path=f"{TRAIN_CAM_DIR}/checkpoint.pt",
            history_path="{output.history:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule cam:
    input:
        model=f"{TRAIN_CAM_DIR}/model.pt",
        # the shard's input check record stands for its images and labels: it is rewritten
        # whenever one of them changes (listing them again costs seconds per dry run)
        check=f"{CHECK_DIR}/{{shard}}.json",
        code=step_code("cam"),
    output:
        manifest=f"{CAM_DIR}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/cam/{CAM_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/cam/{CAM_HASH}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        spec=CAM_SPEC,
        ids=shard_ids_json,
    shell:
        step_command(
            "cam",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            model_path="{input.model:q}",
            cam_dir=CAM_DIR,
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule eval_cam:
    input:
        manifests=expand(f"{CAM_DIR}/shards/{{shard}}.json", shard=SHARDS),
        masks=mask_files(EVAL_IDS),
        eval_list=EVAL_LIST,
        params_record=f"{CAM_DIR}/params.yaml",
        code=step_code("eval_cam"),
    output:
        csv=f"{CAM_DIR}/eval/cam_miou.csv",
        markdown=f"{CAM_DIR}/eval/cam_miou.md",
        sweep_csv=f"{CAM_DIR}/eval/threshold_sweep.csv",
        sweep_markdown=f"{CAM_DIR}/eval/threshold_sweep.md",
    log:
        f"logs/{DATASET_NAME}/eval_cam/{CAM_HASH}.log",
    params:
        spec=EVAL_SPEC,
    shell:
        step_command(
            "eval-cam",
            spec="{params.spec:q}",
            ids="{input.eval_list:q}",
            cam_dir=CAM_DIR,
            threshold=config["cam"]["eval"]["threshold"],
            sweep=config["cam"]["eval"]["sweep_thresholds"],
            csv_path="{output.csv:q}",
            markdown_path="{output.markdown:q}",
            sweep_csv_path="{output.sweep_csv:q}",
            sweep_markdown_path="{output.sweep_markdown:q}",
        )
