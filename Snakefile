# wsgcn: weakly-supervised semantic segmentation with graph convolutional networks.
# Usage: snakemake --cores 2 (demo), --configfile config/voc-sample.yaml, --profile profiles/slurm
from snakemake.utils import min_version

min_version("9.0")


# The demo config, unless --configfile names another one (which then replaces it
# rather than being merged over it); --config key=value overrides either.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


TABLES = {
    "CAM": f"{CAM_DIR}/eval/cam_miou.md",
    "IR labels": f"{IR_LABEL_DIR}/eval/miou.md",
    "RW": f"{RW_DIR}/eval/miou.md",
    "RW + CRF": f"{RW_CRF_DIR}/eval/miou.md",
    "partial labels": f"{PARTIAL_DIR}/eval/miou.md",
    "GCN": f"{GCN_DIR}/eval/miou.md",
    "GCN + CRF": f"{GCN_CRF_DIR}/eval/miou.md",
    "Table 1": f"{RESULTS}/{DATASET_NAME}/tables/table1.md",
    "Segmentation": f"{RESULTS}/{DATASET_NAME}/tables/segmentation.md",
}


rule all:
    default_target: True
    input:
        tables=list(TABLES.values()),
        params_records=[f"{folder}/params.yaml" for folder in (TRAIN_CAM_DIR, TRAIN_IRN_DIR, BOUNDARY_DIR)],
        report=lambda wildcards: REPORT_HTML,


rule baseline:
    # The tables up to IRNet's random walk, without the GCN stage.
    input:
        [TABLES[name] for name in ("CAM", "IR labels", "RW", "RW + CRF")],


include: "workflow/rules/data.smk"
include: "workflow/rules/cam.smk"
include: "workflow/rules/affinity.smk"
include: "workflow/rules/gcn.smk"
include: "workflow/rules/segmentation.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/report.smk"


onsuccess:
    for name, path in TABLES.items():
        table = Path(path)
        if table.exists():
            lines = table.read_text().splitlines()
            print(f"wsgcn: {name} table: {path} (CSV beside it): {lines[0].lstrip('# ')}; {lines[-1]}")
    if Path(REPORT_HTML).exists():
        print(f"wsgcn: report: {Path(REPORT_HTML).resolve()}")
