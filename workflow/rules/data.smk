# The embedded demo dataset (dataset.kind: demo) and the stage parameter records.

if DATASET_CONFIG["kind"] == "demo":

    rule demo_data:
        output:
            images=image_files(INFER_IDS),
            masks=mask_files(INFER_IDS),
            labels=label_files(INFER_IDS),
            image_list=TRAIN_LIST,
        params:
            root=str(DATASET.root),
            num_images=config["demo"]["num_images"],
            seed=config["demo"]["seed"],
            height=config["demo"]["height"],
            width=config["demo"]["width"],
        localrule: True
        log:
            f"logs/{DATASET_NAME}/demo_data.log",
        shell:
            "{PYTHON} -m wsgcn make-demo --root {params.root:q} --num-images {params.num_images}"
            " --seed {params.seed} --height {params.height} --width {params.width} > {log:q} 2>&1"


rule stage_params:
    output:
        "{folder}/params.yaml",
    params:
        text=stage_params_json,
    localrule: True
    log:
        "logs/stage_params/{folder}.log",
    shell:
        "{PYTHON} -m wsgcn write-params --json {params.text:q} --out {output:q} > {log:q} 2>&1"


rule check_inputs:
    # Decodes every image of a shard and checks its labels and mask before any model runs.
    input:
        images=shard_images,
        labels=shard_labels,
        masks=lambda wildcards: mask_files(shard_mask_ids(wildcards)),
        code=CHECK_CODE,
    output:
        record=f"{CHECK_DIR}/{{shard}}.json",
    params:
        spec=CHECK_SPEC,
        ids=shard_ids_json,
        mask_ids=lambda wildcards: canonical_json(shard_mask_ids(wildcards)),
    localrule: True
    log:
        f"logs/{DATASET_NAME}/input_check/{{shard}}.log",
    shell:
        "{PYTHON} -m wsgcn check-inputs --spec {params.spec:q} --ids {params.ids:q} --mask-ids {params.mask_ids:q}"
        " --record {output.record:q} > {log:q} 2>&1"
