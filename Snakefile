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
    "CAM": f"{MAIN['cam_eval']}/cam_miou.md",
    **{LABEL_STAGES[stage][0]: f"{MAIN[stage]}/eval/miou.md" for stage in PSEUDO_LABEL_STAGES},
    "Table 1": f"{RESULTS}/{DATASET_NAME}/tables/table1.md",
    "Segmentation": f"{RESULTS}/{DATASET_NAME}/tables/segmentation.md",
}


rule all:
    default_target: True
    input:
        tables=list(TABLES.values()),
        params_records=[f"{folder}/params.yaml" for folder in MAIN.values()],
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
include: "workflow/rules/export.smk"


onsuccess:
    for name, path in TABLES.items():
        table = Path(path)
        if table.exists():
            lines = table.read_text().splitlines()
            print(f"wsgcn: {name} table: {path} (CSV beside it): {lines[0].lstrip('# ')}; {lines[-1]}")
    if Path(REPORT_HTML).exists():
        print(f"wsgcn: report: {Path(REPORT_HTML).resolve()}")
