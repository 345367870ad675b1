# Stage 1 affinity: IR labels -> IRNet -> boundary maps -> random walk -> RW + dCRF, and
# the evaluation of every label folder.


# Per-image stages after the CAM read the shard's CAM manifest, which is rewritten whenever
# the shard's ids or images change, so they do not list the images again (fewer inputs
# keep the 10,582-image DAG fast); the per-image keys still include each image's digest.
rule ir_label:
    input:
        cams=upstream_manifest("ir_label", "cam"),
        code=step_code("ir_label"),
    output:
        manifest=f"{stage_dir('ir_label')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/ir_label/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/ir_label/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=spec_of("ir_label"),
        ids=shard_ids_json,
        cam_dir=upstream_of("ir_label", "cam"),
        folder=stage_dir("ir_label"),
    shell:
        step_command(
            "ir-label",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir="{params.cam_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )


# The IR-label manifests are ancient(): a shard rerun for an inference-only image must not
# retrain IRNet. Everything the training images' IR labels depend on is an input instead:
# the CAM model (or the external CAM files), the images, the code (parameters are in the
# stage hash, i.e. the path).
rule train_irn:
    input:
        ir_labels=lambda wildcards: ancient(shard_manifests(upstream_of("train_irn", "ir_label")(wildcards))),
        cams=cam_source_files,
        images=image_files(TRAIN_IDS),
        image_list=TRAIN_LIST,
        code=step_code("train_irn", "ir_label"),
        cam_code=cam_step_code,
        code_stamp=f"{CODE_STAMP_DIR}/train_irn.json",
    output:
        model=f"{stage_dir('train_irn')}/model.pt",
        history=f"{stage_dir('train_irn')}/history.csv",
    log:
        f"logs/{DATASET_NAME}/train_irn/{{digest}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/train_irn/{{digest}}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=720,
    params:
        spec=spec_of("train_irn"),
        ir_dir=upstream_of("train_irn", "ir_label"),
        checkpoint=f"{stage_dir('train_irn')}/checkpoint.pt",
    shell:
        step_command(
            "train-irn",
            spec="{params.spec:q}",
            ids="{input.image_list:q}",
            ir_dir="{params.ir_dir:q}",
            model_path="{output.model:q}",
            checkpoint_path="{params.checkpoint:q}",
            history_path="{output.history:q}",
            device=DEVICE,
            threads="{threads}",
        )


# shard_list: the shard's CAM manifest (see ir_label). Snakemake's params trigger did not
# rerun this rule when an id joined the shard (measured with 9.x); an updated input does.
rule boundary:
    input:
        model=upstream_file("boundary", "train_irn", "model.pt"),
        shard_list=upstream_manifest("boundary", "cam"),
        code=step_code("boundary"),
    output:
        manifest=f"{stage_dir('boundary')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/boundary/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/boundary/{{digest}}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=240,
    params:
        spec=spec_of("boundary"),
        ids=shard_ids_json,
        folder=stage_dir("boundary"),
    shell:
        step_command(
            "boundary",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            model_path="{input.model:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule random_walk:
    input:
        cams=upstream_manifest("rw", "cam"),
        boundaries=upstream_manifest("rw", "boundary"),
        code=step_code("random_walk"),
    output:
        manifest=f"{stage_dir('rw')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/rw/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/rw/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=spec_of("rw"),
        ids=shard_ids_json,
        cam_dir=upstream_of("rw", "cam"),
        boundary_dir=upstream_of("rw", "boundary"),
        folder=stage_dir("rw"),
    shell:
        step_command(
            "random-walk",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir="{params.cam_dir:q}",
            boundary_dir="{params.boundary_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule rw_crf:
    input:
        walks=upstream_manifest("rw_crf", "rw"),
        code=step_code("rw_crf"),
    output:
        manifest=f"{stage_dir('rw_crf')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/rw_crf/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/rw_crf/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=spec_of("rw_crf"),
        ids=shard_ids_json,
        rw_dir=upstream_of("rw_crf", "rw"),
        folder=stage_dir("rw_crf"),
    shell:
        step_command(
            "rw-crf",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            rw_dir="{params.rw_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )


# Every label folder (pseudo labels over the evaluation list, segmenter outputs over its
# evaluation split) is scored by the same evaluator.
rule eval_labels:
    input:
        manifests=eval_manifests,
        masks=eval_masks,
        eval_list=eval_list,
        params_record=f"{{folder}}/params.yaml",
        code=step_code("eval_labels"),
    output:
        csv="{folder}/eval/miou.csv",
        markdown="{folder}/eval/miou.md",
        summary="{folder}/eval/summary.json",
    log:
        "logs/eval_labels/{folder}.log",
    wildcard_constraints:
        folder=rf"{re.escape(RESULTS)}/{re.escape(DATASET_NAME)}/({'|'.join(LABEL_STAGES)})/[0-9a-f]{{10}}",
    params:
        spec=EVAL_SPEC,
        name=label_title,
        partial=lambda wildcards: str(LABEL_STAGES[REGISTRY.stage(wildcards.folder).stage][1]).lower(),
    shell:
        step_command(
            "eval-labels",
            spec="{params.spec:q}",
            ids="{input.eval_list:q}",
            folder="{wildcards.folder:q}",
            what="{params.name:q}",
            partial="{params.partial}",
            csv_path="{output.csv:q}",
            markdown_path="{output.markdown:q}",
            summary_path="{output.summary:q}",
        )
