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
    params:
        spec=IR_LABEL_SPEC,
        ids=shard_ids_json,
        cam_dir=CAM_DIR,
        out_dir=IR_LABEL_DIR,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    log:
        f"logs/{DATASET_NAME}/ir_label/{IR_LABEL_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/ir_label/{IR_LABEL_HASH}/{{shard}}.tsv"
    shell:
        "{PYTHON} -m wsgcn ir-label --spec {params.spec:q} --ids {params.ids:q} --cam-dir {params.cam_dir:q}"
        " --out-dir {params.out_dir:q} --manifest {output.manifest:q} > {log:q} 2>&1"


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
    output:
        model=f"{TRAIN_IRN_DIR}/model.pt",
        history=f"{TRAIN_IRN_DIR}/history.csv",
    params:
        spec=TRAIN_IRN_SPEC,
        ir_dir=IR_LABEL_DIR,
        checkpoint=f"{TRAIN_IRN_DIR}/checkpoint.pt",
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    log:
        f"logs/{DATASET_NAME}/train_irn/{TRAIN_IRN_HASH}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_irn/{TRAIN_IRN_HASH}.tsv"
    shell:
        "{PYTHON} -m wsgcn train-irn --spec {params.spec:q} --ids-file {input.image_list:q} --ir-dir {params.ir_dir:q}"
        " --model {output.model:q} --checkpoint {params.checkpoint:q} --history {output.history:q}"
        " --threads {threads} --device {DEVICE} > {log:q} 2>&1"


# shard_list: the shard's CAM manifest (see ir_label). Snakemake's params trigger did not
# rerun this rule when an id joined the shard (measured with 9.x); an updated input does.
rule boundary:
    input:
        model=f"{TRAIN_IRN_DIR}/model.pt",
        shard_list=f"{CAM_DIR}/shards/{{shard}}.json",
        code=step_code("boundary"),
    output:
        manifest=f"{BOUNDARY_DIR}/shards/{{shard}}.json",
    params:
        spec=BOUNDARY_SPEC,
        ids=shard_ids_json,
        out_dir=BOUNDARY_DIR,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    log:
        f"logs/{DATASET_NAME}/boundary/{BOUNDARY_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/boundary/{BOUNDARY_HASH}/{{shard}}.tsv"
    shell:
        "{PYTHON} -m wsgcn boundary --spec {params.spec:q} --ids {params.ids:q} --model {input.model:q}"
        " --out-dir {params.out_dir:q} --manifest {output.manifest:q} --threads {threads}"
        " --device {DEVICE} > {log:q} 2>&1"


rule random_walk:
    input:
        cams=f"{CAM_DIR}/shards/{{shard}}.json",
        boundaries=f"{BOUNDARY_DIR}/shards/{{shard}}.json",
        code=step_code("random_walk"),
    output:
        rw=f"{RW_DIR}/shards/{{shard}}.json",
        rw_crf=f"{RW_CRF_DIR}/shards/{{shard}}.json",
    params:
        spec=RW_SPEC,
        ids=shard_ids_json,
        cam_dir=CAM_DIR,
        boundary_dir=BOUNDARY_DIR,
        rw_dir=RW_DIR,
        rw_crf_dir=RW_CRF_DIR,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    log:
        f"logs/{DATASET_NAME}/random_walk/{RW_CRF_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/random_walk/{RW_CRF_HASH}/{{shard}}.tsv"
    shell:
        "{PYTHON} -m wsgcn random-walk --spec {params.spec:q} --ids {params.ids:q} --cam-dir {params.cam_dir:q}"
        " --boundary-dir {params.boundary_dir:q} --rw-dir {params.rw_dir:q} --rw-crf-dir {params.rw_crf_dir:q}"
        " --rw-manifest {output.rw:q} --rw-crf-manifest {output.rw_crf:q} --threads {threads}"
        " --device {DEVICE} > {log:q} 2>&1"


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
    wildcard_constraints:
        stage="|".join(LABEL_STAGE_NAMES),
        digest="[0-9a-f]{10}",
    params:
        spec=EVAL_SPEC,
        folder=_label_folder,
        name=lambda wc: _label_title(wc)[0],
        partial=lambda wc: "--partial" if _label_title(wc)[1] else "",
    log:
        f"logs/{DATASET_NAME}/eval_labels/{{stage}}-{{digest}}.log",
    shell:
        "{PYTHON} -m wsgcn eval-labels --spec {params.spec:q} --ids-file {input.eval_list:q}"
        " --label-dir {params.folder:q} --name {params.name:q} {params.partial} --csv {output.csv:q}"
        " --markdown {output.markdown:q} > {log:q} 2>&1"
