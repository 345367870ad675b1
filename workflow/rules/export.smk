# The configured pseudo labels as a VOC-style folder for other segmentation code
# (snakemake export; README, "Use the pseudo labels elsewhere").

EXPORT = config["export"]
EXPORT_FOLDER = MAIN[EXPORT["labels"]]
EXPORT_STEP_MODULE = {
    "rw": "random_walk",
    "rw_crf": "rw_crf",
    "gcn": "gcn",
    "gcn_crf": "gcn_crf",
}[EXPORT["labels"]]


rule export:
    input:
        manifests=shard_manifests(EXPORT_FOLDER),
        boundaries=shard_manifests(MAIN["boundary"]) if EXPORT["boundaries"] else [],
        params_record=f"{EXPORT_FOLDER}/params.yaml",
        ids=INFER_LIST,
        code=step_code("export_labels"),
    output:
        directory(f"exports/{DATASET_NAME}/{EXPORT['labels']}"),
    log:
        f"logs/{DATASET_NAME}/export.log",
    localrule: True
    params:
        spec=canonical_json(
            {
                "label_set": EXPORT["labels"],
                "step_module": f"wsgcn.steps.{EXPORT_STEP_MODULE}",
                "boundaries": EXPORT["boundaries"],
                "boundary_dir": MAIN["boundary"],
            }
        ),
    shell:
        step_command(
            "export-labels",
            spec="{params.spec:q}",
            ids="{input.ids:q}",
            labels_dir=EXPORT_FOLDER,
            params_path="{input.params_record:q}",
            out_dir="{output:q}",
        )
