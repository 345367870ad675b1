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


# A training job's own code edits must rerun it even when an input check reruns in the
# same call (an edit to a module both import). Snakemake then skips the rerun checks of
# every job downstream of that check, and reaches such a job only through inputs that are
# not ancient(): the stamp, rewritten when the job's code changes, is such an input.
rule code_stamp:
    input:
        code=lambda wildcards: step_code(*CODE_STAMPS[wildcards.job]),
    output:
        f"{CODE_STAMP_DIR}/{{job}}.json",
    log:
        f"logs/{DATASET_NAME}/code_stamp/{{job}}.log",
    wildcard_constraints:
        job="|".join(CODE_STAMPS),
    localrule: True
    params:
        record=lambda wildcards: canonical_json(
            {"job": wildcards.job, "code": sources_digest(step_code(*CODE_STAMPS[wildcards.job]))}
        ),
    shell:
        step_command("write-params", record="{params.record:q}", out="{output:q}")
