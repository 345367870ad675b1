# WSGCN per image: partial labels, one GCN trained on IRNet's graph, the final dCRF.
# Changing a GCN or CRF value reruns these jobs only: their inputs are the CAM, boundary
# and partial-label shard manifests, never the upstream rules' parameters.


rule partial_labels:
    input:
        cams=f"{CAM_DIR}/shards/{{shard}}.json",
        code=step_code("partial_labels"),
    output:
        manifest=f"{PARTIAL_DIR}/shards/{{shard}}.json",
    params:
        spec=PARTIAL_SPEC,
        ids=shard_ids_json,
        cam_dir=CAM_DIR,
        out_dir=PARTIAL_DIR,
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    log:
        f"logs/{DATASET_NAME}/partial_labels/{PARTIAL_HASH}/{{shard}}.log",
    benchmark:
        f"logs/{DATASET_NAME}/benchmarks/partial_labels/{PARTIAL_HASH}/{{shard}}.tsv"
    shell:
        "{PYTHON} -m wsgcn partial-labels --spec {params.spec:q} --ids {params.ids:q} --cam-dir {params.cam_dir:q}"
        " --out-dir {params.out_dir:q} --manifest {output.manifest:q} > {log:q} 2>&1"


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
        params:
            spec=_spec,
            ids=shard_ids_json,
            cam_dir=CAM_DIR,
            boundary_dir=BOUNDARY_DIR,
            partial_dir=PARTIAL_DIR,
            gcn_dir=_gcn_dir,
            gcn_crf_dir=_crf_dir,
        threads: 2
        resources:
            mem_mb=4000,
            runtime=480,
        log:
            f"logs/{DATASET_NAME}/gcn/{_crf_dir.split('/')[-1]}/{{shard}}.log",
        benchmark:
            f"logs/{DATASET_NAME}/benchmarks/gcn/{_crf_dir.split('/')[-1]}/{{shard}}.tsv"
        shell:
            "{PYTHON} -m wsgcn gcn --spec {params.spec:q} --ids {params.ids:q} --cam-dir {params.cam_dir:q}"
            " --boundary-dir {params.boundary_dir:q} --partial-dir {params.partial_dir:q} --gcn-dir {params.gcn_dir:q}"
            " --gcn-crf-dir {params.gcn_crf_dir:q} --gcn-manifest {output.gcn:q} --gcn-crf-manifest {output.gcn_crf:q}"
            " --threads {threads} --device {DEVICE} > {log:q} 2>&1"
