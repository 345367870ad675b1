# WSGCN per image: partial labels, one GCN trained on IRNet's graph, the final dCRF.
# Changing a GCN or CRF value reruns these jobs only: their inputs are the CAM, boundary
# and partial-label shard manifests, never the upstream rules' parameters.


rule partial_labels:
    input:
        cams=upstream_manifest("partial", "cam"),
        code=step_code("partial_labels"),
    output:
        manifest=f"{stage_dir('partial')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/partial/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/partial/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        spec=spec_of("partial"),
        ids=shard_ids_json,
        cam_dir=upstream_of("partial", "cam"),
        folder=stage_dir("partial"),
    shell:
        step_command(
            "partial-labels",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir="{params.cam_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )


rule gcn:
    input:
        boundaries=upstream_manifest("gcn", "boundary"),
        partial=upstream_manifest("gcn", "partial"),
        code=step_code("gcn"),
    output:
        manifest=f"{stage_dir('gcn')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/gcn/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/gcn/{{digest}}/{{shard}}.tsv"
    threads: 2
    resources:
        mem_mb=4000,
        runtime=480,
    params:
        spec=spec_of("gcn"),
        ids=shard_ids_json,
        boundary_dir=upstream_of("gcn", "boundary"),
        partial_dir=upstream_of("gcn", "partial"),
        folder=stage_dir("gcn"),
    shell:
        step_command(
            "gcn",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            boundary_dir="{params.boundary_dir:q}",
            partial_dir="{params.partial_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
            device=DEVICE,
            threads="{threads}",
        )


rule gcn_crf:
    input:
        gcn=upstream_manifest("gcn_crf", "gcn"),
        cams=upstream_manifest("gcn_crf", "cam"),
        code=step_code("gcn_crf"),
    output:
        manifest=f"{stage_dir('gcn_crf')}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/gcn_crf/{{digest}}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/gcn_crf/{{digest}}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=240,
    params:
        spec=spec_of("gcn_crf"),
        ids=shard_ids_json,
        cam_dir=upstream_of("gcn_crf", "cam"),
        gcn_dir=upstream_of("gcn_crf", "gcn"),
        folder=stage_dir("gcn_crf"),
    shell:
        step_command(
            "gcn-crf",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir="{params.cam_dir:q}",
            gcn_dir="{params.gcn_dir:q}",
            out_dir="{params.folder:q}",
            manifest_path="{output.manifest:q}",
        )
