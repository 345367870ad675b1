# wsgcn: weakly-supervised semantic segmentation with graph convolutional networks.
# Usage: snakemake --cores 2 (demo), --configfile config/voc-sample.yaml, --profile profiles/slurm
from snakemake.utils import min_version

min_version("9.0")


# The demo config, unless --configfile names another one (which then replaces it
# rather than being merged over it); --config key=value overrides either.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"



include: "workflow/rules/common.smk"


rule all:
    input:
        cam_table=f"{CAM_DIR}/eval/cam_miou.md",
        train_params=f"{TRAIN_CAM_DIR}/params.yaml",
    default_target: True


include: "workflow/rules/data.smk"
include: "workflow/rules/cam.smk"


onsuccess:
    print(f"\nwsgcn: CAM evaluation table: {CAM_DIR}/eval/cam_miou.md (CSV beside it)")
    table = Path(f"{CAM_DIR}/eval/cam_miou.md")
    if table.exists():
        print(table.read_text())
