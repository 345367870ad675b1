# The embedded demo dataset (dataset.kind: demo) and the stage parameter records.

if DATASET_CONFIG["kind"] == "demo":

    rule demo_data:
        output:
            images=image_files(INFER_IDS),
            masks=mask_files(INFER_IDS),
            labels=label_files(INFER_IDS),
            image_list=TRAIN_LIST,
        log:
            f"logs/{DATASET_NAME}/demo_data.log",
        localrule: True
        shell:
            step_command("make-demo", root=DATASET.root, **config["demo"])


rule stage_params:
    output:
        "{folder}/params.yaml",
    log:
        "logs/stage_params/{folder}.log",
    localrule: True
    params:
        text=stage_params_json,
    shell:
        step_command("write-params", record="{params.text:q}", out="{output:q}")


rule check_inputs:
    # Decodes every image of a shard and checks its labels and mask before any model runs.
    input:
        images=shard_images,
        labels=shard_labels,
        masks=lambda wildcards: mask_files(shard_mask_ids(wildcards)),
        code=CHECK_CODE,
    output:
        record=f"{CHECK_DIR}/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/input_check/{{shard}}.log",
    localrule: True
    params:
        spec=CHECK_SPEC,
        ids=shard_ids_json,
        mask_ids=lambda wildcards: canonical_json(shard_mask_ids(wildcards)),
    shell:
        step_command(
            "check-inputs",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            mask_ids="{params.mask_ids:q}",
            record="{output.record:q}",
        )
