# WSGCN per image: partial labels, one GCN trained on IRNet's graph, the final dCRF.
# Changing a GCN or CRF value reruns these jobs only: their inputs are the CAM, boundary
# and partial-label shard manifests, never the upstream rules' parameters.


rule partial_labels:
    input:
        cams=f"{CAM_DIR}/shards/{{shard}}.json",
        code=step_code("partial_labels"),
    output:
        manifest=f"{PARTIAL_DIR}/shards/{{shard}}.json",
    log:
        f"logs/{DATASET_NAME}/partial_labels/{PARTIAL_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/partial_labels/{PARTIAL_HASH}/{{shard}}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        spec=PARTIAL_SPEC,
        ids=shard_ids_json,
    shell:
        step_command(
            "partial-labels",
            spec="{params.spec:q}",
            ids="{params.ids:q}",
            cam_dir=CAM_DIR,
            out_dir=PARTIAL_DIR,
            manifest_path="{output.manifest:q}",
        )


# One rule per GCN setting: the configured one ("gcn") and the loss-ablation settings of
# Table 2 that differ from it ("gcn_ablation_<n>"), each writing its own folders.
for _index, (_gcn_dir, (_crf_dir, _spec)) in enumerate(GCN_SETTINGS.items()):

    rule:
        name:
            "gcn" if _index == 0 else f"gcn_ablation_{_index}"
        input:
            cams=f"{CAM_DIR}/shards/{{shard}}.json",
            boundaries=f"{BOUNDARY_DIR}/shards/{{shard}}.json",
            partial=f"{PARTIAL_DIR}/shards/{{shard}}.json",
            code=step_code("gcn"),
        output:
            gcn=f"{_gcn_dir}/shards/{{shard}}.json",
            gcn_crf=f"{_crf_dir}/shards/{{shard}}.json",
        log:
            f"logs/{DATASET_NAME}/gcn/{_crf_dir.split('/')[-1]}/{{shard}}.log",
        benchmark:
            f"logs/{DATASET_NAME}/benchmarks/gcn/{_crf_dir.split('/')[-1]}/{{shard}}.tsv"
        threads: 2
        resources:
            mem_mb=4000,
            runtime=480,
        # values of this loop iteration go through params: the shell command is built when
        # the job runs, after the loop has moved on
        params:
            spec=_spec,
            ids=shard_ids_json,
            gcn_dir=_gcn_dir,
            gcn_crf_dir=_crf_dir,
        shell:
            step_command(
                "gcn",
                spec="{params.spec:q}",
                ids="{params.ids:q}",
                cam_dir=CAM_DIR,
                boundary_dir=BOUNDARY_DIR,
                partial_dir=PARTIAL_DIR,
                gcn_dir="{params.gcn_dir:q}",
                gcn_crf_dir="{params.gcn_crf_dir:q}",
                gcn_manifest="{output.gcn:q}",
                gcn_crf_manifest="{output.gcn_crf:q}",
                device=DEVICE,
                threads="{threads}",
            )
