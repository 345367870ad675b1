# The paper's Tables 1 and 2, the segmentation table and the sweeps' tables, as targets:
#   snakemake table1   (CAM, RW, RW + CRF, GCN, GCN + CRF; part of the default target)
#   snakemake table2   (the built-in sweep of the GCN's losses, with and without the dCRF)
#   snakemake sweep    (every sweep of the config files: table, plot and the report)

TABLES_DIR = f"{RESULTS}/{DATASET_NAME}/tables"
SWEEPS_DIR = f"{RESULTS}/{DATASET_NAME}/sweeps"


def cam_table(folders):
    return f"{folders['cam_eval']}/cam_miou.csv"


def label_table(folders, stage):
    return f"{folders[stage]}/eval/miou.csv"


TABLE1 = [
    ({"method": "CAM"}, cam_table(MAIN)),
    ({"method": "RW (IRNet)"}, label_table(MAIN, "rw")),
    ({"method": "RW + CRF"}, label_table(MAIN, "rw_crf")),
    ({"method": "GCN (WSGCN-I)"}, label_table(MAIN, "gcn")),
    ({"method": "GCN + CRF (WSGCN-I)"}, label_table(MAIN, "gcn_crf")),
]
TABLE2 = [
    (
        {
            "entropy loss": "x" if setting.config["gcn"]["train"]["entropy_weight"] else "",
            "Laplacian loss": "x" if setting.config["gcn"]["train"]["laplacian_weight"] else "",
            "dCRF": "x" if crf else "",
        },
        label_table(folders, "gcn_crf" if crf else "gcn"),
    )
    for crf in (False, True)
    for setting, folders in SWEEPS["table2"]
]
# The segmentation table in the layout of the paper's Table 5 (per-class IoU on the
# segmenter's evaluation split), one row per label set, without and with the CRF.
SEG_TABLE = [
    ({"training labels": LABEL_SOURCES[source], "CRF": "x" if crf else ""}, label_table(folders, stage))
    for source, folders in LABEL_SETS.items()
    for crf, stage in ((False, "seg"), (True, "seg_crf"))
]


# --- sweeps: one row per setting --------------------------------------------------------

SWEEP_RESULTS = [
    ("CAM", "cam_eval", False),
    *((LABEL_STAGES[stage][0], stage, LABEL_STAGES[stage][1]) for stage in PSEUDO_LABEL_STAGES),
    *((LABEL_STAGES[stage][0], stage, False) for stage in ("seg", "seg_crf")),
]
SWEEP_STAGE_TITLES = [title for title, _, _ in SWEEP_RESULTS]
TIMED_STAGES = {
    "train_cam": False,
    "cam": True,
    "ir_label": True,
    "train_irn": False,
    "boundary": True,
    "rw": True,
    "rw_crf": True,
    "partial": True,
    "gcn": True,
    "gcn_crf": True,
    "train_seg": False,
    "seg": True,
    "seg_crf": True,
}
"""Stages whose time the sweep table gives when a setting recomputes them: stage -> per image?"""


def _summary_path(folders, stage):
    return f"{folders[stage]}/summary.json" if stage == "cam_eval" else f"{folders[stage]}/eval/summary.json"


def _dotted(config_values, dotted):
    for key in dotted.split("."):
        config_values = config_values[key]
    return config_values


def _benchmarks(folder, per_image):
    """The benchmark files of ``folder`` (its stage is the folder's, e.g. cam_import for
    the ``cam`` role of imported CAMs)."""
    stage_folder, digest = folder.split("/")[-2:]
    return [f"{BENCHMARKS}/{stage_folder}/{digest}/*.tsv" if per_image else f"{BENCHMARKS}/{stage_folder}/{digest}.tsv"]


def sweep_rows(name):
    """The rows of the sweep ``name`` for `wsgcn sweep-table`."""
    settings = SWEEPS[name]
    changed = list(dict.fromkeys(key for setting, _ in settings for key in setting.changes))
    rows = []
    for setting, folders in settings:
        timings = []
        for stage, per_image in TIMED_STAGES.items():
            if stage in folders and folders[stage] != MAIN.get(stage):
                images = len(SEG_SPLITS[folders["seg_split"]][1]) if stage.startswith("seg") else len(INFER_IDS)
                column = f"{stage} s/image" if per_image else f"{stage} s"
                timings.append([column, _benchmarks(folders[stage], per_image), images if per_image else 0])
        rows.append(
            {
                "setting": setting.name,
                "values": {key: _dotted(setting.config, key) for key in changed},
                "results": [
                    [title, _summary_path(folders, stage), partial]
                    for title, stage, partial in SWEEP_RESULTS
                    if stage in folders
                ],
                "timings": timings,
            }
        )
    return rows


def sweep_summaries(name):
    """The evaluation summaries and parameter records that the sweep ``name``'s table needs."""
    return sorted(
        {
            *(path for row in sweep_rows(name) for _, path, _ in row["results"]),
            *(f"{folder}/params.yaml" for _, folders in SWEEPS[name] for folder in folders.values()),
        }
    )


def _sweep_config(name):
    return {**BUILTIN_SWEEPS, **config["sweeps"]}[name]


def sweep_title(name):
    return _sweep_config(name).get("description") or f"Sweep {name}"


def sweep_plot_key(name):
    """The x axis of the sweep's plot: its grid key when it has one numeric key, else none."""
    grid = _sweep_config(name).get("grid", {})
    if len(grid) == 1:
        key, values = next(iter(grid.items()))
        if all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
            return key
    return ""


def _summary_rows(rows):
    """JSON rows for `wsgcn summary-table`; columns as [name, value] pairs to keep their order."""
    return canonical_json([{"columns": list(columns.items()), "table": table} for columns, table in rows])


rule table1:
    input:
        tables=[table for _, table in TABLE1],
    output:
        csv=f"{TABLES_DIR}/table1.csv",
        markdown=f"{TABLES_DIR}/table1.md",
    log:
        f"logs/{DATASET_NAME}/tables/table1.log",
    localrule: True
    params:
        rows=_summary_rows(TABLE1),
        title=f"Table 1: pseudo-label quality, mIoU (%) over {len(EVAL_IDS)} images",
    shell:
        step_command(
            "summary-table",
            rows="{params.rows:q}",
            title="{params.title:q}",
            csv="{output.csv:q}",
            markdown="{output.markdown:q}",
        )


rule table2:
    input:
        tables=[table for _, table in TABLE2],
        sweep=f"{SWEEPS_DIR}/table2/table.csv",
    output:
        csv=f"{TABLES_DIR}/table2.csv",
        markdown=f"{TABLES_DIR}/table2.md",
    log:
        f"logs/{DATASET_NAME}/tables/table2.log",
    localrule: True
    params:
        rows=_summary_rows(TABLE2),
        title=f"Table 2: GCN loss ablation (fg + bg losses always on), mIoU (%) over {len(EVAL_IDS)} images",
    shell:
        step_command(
            "summary-table",
            rows="{params.rows:q}",
            title="{params.title:q}",
            csv="{output.csv:q}",
            markdown="{output.markdown:q}",
        )


rule segmentation_table:
    input:
        tables=[table for _, table in SEG_TABLE],
    output:
        csv=f"{TABLES_DIR}/segmentation.csv",
        markdown=f"{TABLES_DIR}/segmentation.md",
    log:
        f"logs/{DATASET_NAME}/tables/segmentation.log",
    localrule: True
    params:
        rows=_summary_rows(SEG_TABLE),
        title=f"Segmentation: DeepLabv2, per-class IoU (%) over {len(SEG_SPLITS[MAIN['seg_split']][1])} evaluation images",
    shell:
        step_command(
            "summary-table",
            rows="{params.rows:q}",
            title="{params.title:q}",
            csv="{output.csv:q}",
            markdown="{output.markdown:q}",
            per_class=True,
        )


rule sweep_table:
    input:
        summaries=lambda wildcards: sweep_summaries(wildcards.sweep),
    output:
        csv=f"{SWEEPS_DIR}/{{sweep}}/table.csv",
        markdown=f"{SWEEPS_DIR}/{{sweep}}/table.md",
        plot=f"{SWEEPS_DIR}/{{sweep}}/plot.png",
    log:
        f"logs/{DATASET_NAME}/sweeps/{{sweep}}.log",
    wildcard_constraints:
        sweep="|".join(re.escape(name) for name in SWEEPS),
    localrule: True
    params:
        sweep=lambda wildcards: canonical_json(
            {
                "title": sweep_title(wildcards.sweep),
                "stages": SWEEP_STAGE_TITLES,
                "plot_key": sweep_plot_key(wildcards.sweep),
                "rows": sweep_rows(wildcards.sweep),
            }
        ),
    shell:
        step_command(
            "sweep-table",
            sweep="{params.sweep:q}",
            csv="{output.csv:q}",
            markdown="{output.markdown:q}",
            plot="{output.plot:q}",
        )


rule sweep:
    # every sweep of the config files (the sweeps section), and the report that shows them
    input:
        tables=[f"{SWEEPS_DIR}/{name}/{file}" for name in USER_SWEEPS for file in ("table.md", "plot.png")],
        report=lambda wildcards: REPORT_HTML,
