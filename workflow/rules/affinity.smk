# Stage 1 affinity: IR labels -> IRNet -> boundary maps -> random walk (+ dCRF) -> tables.


# Per-image stages after the CAM read the shard's CAM manifest, which is rewritten whenever
# the shard's ids or images change, so they do not list the images again (fewer inputs
# keep the 10,582-image DAG fast); the per-image keys still include each image's digest.
rule ir_label:
    input:
        cams=f"{CAM_DIR}/shards/{{shard}}.json",
        code=step_code("ir_label"),
    output:
        manifest=f"{IR_LABEL_DIR}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/ir_label/{IR_LABEL_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/ir_label/{IR_LABEL_HASH}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=IR_LABEL_SPEC,
        ids=shard_ids_json,
    shell:
        step_command(
            "ir-label",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir=CAM_DIR,
            out_dir=IR_LABEL_DIR,
            manifest_path="{output.manifest:q}",
        )


# The IR-label manifests are ancient(): a shard rerun for an inference-only image must not
# retrain IRNet. Everything the training images' IR labels depend on is an input instead:
# the CAM model, the images, the code (parameters are in the stage hash, i.e. the path).
rule train_irn:
    input:
        ir_labels=ancient(shard_manifests(IR_LABEL_DIR)),
        cam_model=f"{TRAIN_CAM_DIR}/model.pt",
        images=image_files(TRAIN_IDS),
        image_list=TRAIN_LIST,
        code=step_code("train_irn", "ir_label", "cam"),
        code_stamp=f"{CODE_STAMP_DIR}/train_irn.json",
    output:
        model=f"{TRAIN_IRN_DIR}/model.pt",
        history=f"{TRAIN_IRN_DIR}/history.csv",
    log:
        f"logs/{DATASET_NAME}/train_irn/{TRAIN_IRN_HASH}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_irn/{TRAIN_IRN_HASH}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        spec=TRAIN_IRN_SPEC,
    shell:
        step_command(
            "train-irn",
            spec="{params.spec:q}",
            ids="{input.image_list:q}",
            ir_dir=IR_LABEL_DIR,
            model_path="{output.model:q}",
            checkpoint_path=f"{TRAIN_IRN_DIR}/checkpoint.pt",
            history_path="{output.history:q}",
            device=DEVICE,
            threads="{threads}",
        )


# shard_list: the shard's CAM manifest (see ir_label). Snakemake's params trigger did not
# rerun this rule when an id joined the shard (measured with 9.x); an updated input does.
rule boundary:
    input:
        model=f"{TRAIN_IRN_DIR}/model.pt",
        shard_list=f"{CAM_DIR}/shards/{{shard}}.json",
        code=step_code("boundary"),
    output:
        manifest=f"{BOUNDARY_DIR}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/boundary/{BOUNDARY_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/boundary/{BOUNDARY_HASH}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        spec=BOUNDARY_SPEC,
        ids=shard_ids_json,
    shell:
        step_command(
            "boundary",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            model_path="{input.model:q}",
            out_dir=BOUNDARY_DIR,
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule random_walk:
    input:
        cams=f"{CAM_DIR}/shards/{{shard}}.json",
        boundaries=f"{BOUNDARY_DIR}/shards/{{shard}}.json",
        code=step_code("random_walk"),
    output:
        rw=f"{RW_DIR}/shards/{{shard}}.json",
        rw_crf=f"{RW_CRF_DIR}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/random_walk/{RW_CRF_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/random_walk/{RW_CRF_HASH}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=RW_SPEC,
        ids=shard_ids_json,
    shell:
        step_command(
            "random-walk",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir=CAM_DIR,
            boundary_dir=BOUNDARY_DIR,
            rw_dir=RW_DIR,
            rw_crf_dir=RW_CRF_DIR,
            rw_manifest="{output.rw:q}",
            rw_crf_manifest="{output.rw_crf:q}",
            device=DEVICE,
            threads="{threads}",
        )


def _label_folder(wildcards):
    return f"{RESULTS}/{DATASET_NAME}/{wildcards.stage}/{wildcards.digest}"


def _label_title(wildcards):
    return LABEL_FOLDERS[_label_folder(wildcards)]


rule eval_labels:
    input:
        manifests=lambda wc: shard_manifests(_label_folder(wc)),
        masks=mask_files(EVAL_IDS),
        eval_list=EVAL_LIST,
        params_record=lambda wc: f"{_label_folder(wc)}/params.yaml",
        code=step_code("eval_labels"),
    output:
        csv=f"{RESULTS}/{DATASET_NAME}/{{stage}}/{{digest}}/eval/miou.csv",
        markdown=f"{RESULTS}/{DATASET_NAME}/{{stage}}/{{digest}}/eval/miou.md",
    log:
        f"logs/{DATASET_NAME}/eval_labels/{{stage}}-{{digest}}.log",
    wildcard_constraints:
        stage="|".join(LABEL_STAGE_NAMES),
        digest="[0-9a-f]{10}",
    params:
        spec=EVAL_SPEC,
        folder=_label_folder,
        name=lambda wc: _label_title(wc)[0],
        partial=lambda wc: str(_label_title(wc)[1]).lower(),
    shell:
        step_command(
            "eval-labels",
            spec="{params.spec:q}",
            ids="{input.eval_list:q}",
            folder="{params.folder:q}",
            what="{params.name:q}",
            partial="{params.partial}",
            csv_path="{output.csv:q}",
            markdown_path="{output.markdown:q}",
        )
