# Stage 1: the CAM classifier, per-image CAMs (in stable shards) and their evaluation.


rule train_cam:
    input:
        images=image_files(TRAIN_IDS),
        labels=label_files(TRAIN_IDS),
        image_list=TRAIN_LIST,
        # ancient: a check rerun for an image added to the infer list only must not retrain
        checks=ancient(check_records(TRAIN_IDS)),
        code=step_code("train_cam"),
    output:
        model=f"{TRAIN_CAM_DIR}/model.pt",
        history=f"{TRAIN_CAM_DIR}/history.csv",
    params:
        spec=TRAIN_CAM_SPEC,
        checkpoint=f"{TRAIN_CAM_DIR}/checkpoint.pt",
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    log:
        f"logs/{DATASET_NAME}/train_cam/{TRAIN_CAM_HASH}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_cam/{TRAIN_CAM_HASH}.tsv"
    shell:
        "{PYTHON} -m wsgcn train-cam --spec {params.spec:q} --ids-file {input.image_list:q}"
        " --model {output.model:q} --checkpoint {params.checkpoint:q} --history {output.history:q}"
        " --threads {threads} --device {DEVICE} > {log:q} 2>&1"


rule cam:
    input:
        model=f"{TRAIN_CAM_DIR}/model.pt",
        # the shard's input check record stands for its images and labels: it is rewritten
        # whenever one of them changes (listing them again costs seconds per dry run)
        check=f"{CHECK_DIR}/{{shard}}.json",
        code=step_code("cam"),
    output:
        manifest=f"{CAM_DIR}/shards/{{shard}}.json",
    params:
        spec=CAM_SPEC,
        ids=shard_ids_json,
        out_dir=CAM_DIR,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    log:
        f"logs/{DATASET_NAME}/cam/{CAM_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/cam/{CAM_HASH}/{{shard}}.tsv"
    shell:
        "{PYTHON} -m wsgcn cam --spec {params.spec:q} --ids {params.ids:q} --model {input.model:q}"
        " --out-dir {params.out_dir:q} --manifest {output.manifest:q} --threads {threads}"
        " --device {DEVICE} > {log:q} 2>&1"


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
    params:
        spec=EVAL_SPEC,
        threshold=config["cam"]["eval"]["threshold"],
        sweep=" ".join(map(str, config["cam"]["eval"]["sweep_thresholds"])),
        cam_dir=CAM_DIR,
    log:
        f"logs/{DATASET_NAME}/eval_cam/{CAM_HASH}.log",
    shell:
        "{PYTHON} -m wsgcn eval-cam --spec {params.spec:q} --ids-file {input.eval_list:q} --cam-dir {params.cam_dir:q}"
        " --threshold {params.threshold} --sweep {params.sweep} --csv {output.csv:q} --markdown {output.markdown:q}"
        " --sweep-csv {output.sweep_csv:q} --sweep-markdown {output.sweep_markdown:q} > {log:q} 2>&1"
