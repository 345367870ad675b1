# The HTML report of this run (part of the default target): snakemake report
# It holds Table 1, the segmentation table (paper's Table 5 layout) with per-class bar
# charts, Table 2 when report.table2 is set, the qualitative figures, the training-set
# label statistics, timings from the benchmark files, software versions and the config.
# `snakemake --report report.html` also works: it embeds this report and the tables.

REPORT = config["report"]
REPORT_HTML = f"{RESULTS}/{DATASET_NAME}/report.html"
BENCHMARKS = f"logs/{DATASET_NAME}/benchmarks"


def _figure_ids():
    return REPORT["figure_ids"] or EVAL_IDS[: REPORT["figure_count"]]


_unknown_figure_ids = sorted(set(REPORT["figure_ids"]) - set(INFER_IDS))
if _unknown_figure_ids:
    raise WsgcnError(f"report.figure_ids: {_unknown_figure_ids[:3]} are not in dataset.lists.infer")

SEG_EVAL_IDS = SEG_SPLITS[MAIN["seg_split"]][1]
REPORT_TABLES = [
    {"id": "table1", "caption": "Table 1: pseudo-label quality (mIoU, %)", "csv": f"{TABLES_DIR}/table1.csv"},
    {
        "id": "cam-threshold-sweep",
        "caption": "CAM mIoU (%) by background threshold (cam.eval.threshold)",
        "csv": f"{MAIN['cam_eval']}/threshold_sweep.csv",
    },
    *(
        [{"id": "table2", "caption": "Table 2: GCN loss ablation (mIoU, %)", "csv": f"{TABLES_DIR}/table2.csv"}]
        if REPORT["table2"]
        else []
    ),
]
REPORT_SWEEPS = [
    {
        "id": f"sweep-{name}",
        "caption": sweep_title(name),
        "csv": f"{SWEEPS_DIR}/{name}/table.csv",
        "plot": f"{SWEEPS_DIR}/{name}/plot.png",
    }
    for name in USER_SWEEPS
]
REPORT_STATISTICS = [
    {
        "id": f"label-statistics-{source}",
        "caption": f"Segmentation training set from {LABEL_SOURCES[source]} labels",
        "csv": f"{folders['seg_data']}/label_statistics.csv",
    }
    for source, folders in LABEL_SETS.items()
]
REPORT_PER_CLASS = [
    {
        "id": "segmentation",
        "caption": f"Segmentation (paper's Table 5 layout): DeepLabv2 on {len(SEG_EVAL_IDS)} evaluation images",
        "rows": [
            [segmenter_title(source, stage), label_table(folders, stage)]
            for source, folders in LABEL_SETS.items()
            for stage in ("seg", "seg_crf")
        ],
    },
    {
        "id": "pseudo-labels",
        "caption": f"Pseudo labels per class on {len(EVAL_IDS)} images",
        "rows": [[name, csv] for name, csv in ((row["method"], table) for row, table in TABLE1) if name != "CAM"],
    },
]
REPORT_FIGURES = [
    {
        "id": "figure-pseudo-labels",
        "caption": "Pseudo labels (as the paper's Fig. 2).",
        "ids": _figure_ids(),
        "columns": [
            ["image", "image"],
            ["partial labels", MAIN["partial"]],
            ["RW", MAIN["rw"]],
            ["GCN", MAIN["gcn"]],
            ["GCN + CRF", MAIN["gcn_crf"]],
            ["ground truth", "truth"],
        ],
    },
    {
        "id": "figure-segmentation",
        "caption": f"Segmenter trained on {LABEL_SOURCES[config['segmentation']['labels']]} labels, evaluation images.",
        "ids": SEG_EVAL_IDS[: REPORT["figure_count"]],
        "columns": [
            ["image", "image"],
            ["DeepLabv2", MAIN["seg"]],
            ["DeepLabv2 + CRF", MAIN["seg_crf"]],
            ["ground truth", "truth"],
        ],
    },
]
REPORT_TIMINGS = {
    **{stage: _benchmarks(MAIN[stage], per_image) for stage, per_image in TIMED_STAGES.items() if stage in MAIN},
    **{
        f"{stage} ({LABEL_SOURCES[source]})": _benchmarks(folders[stage], per_image)
        for source, folders in LABEL_SETS.items()
        if source != config["segmentation"]["labels"]
        for stage, per_image in TIMED_STAGES.items()
        if stage in ("train_seg", "seg", "seg_crf")
    },
}
REPORT_INPUT_CHECKS = check_records(INFER_IDS)
REPORT_SPEC = canonical_json(
    {
        "title": f"wsgcn report: {DATASET_NAME}",
        "dataset": DATASET_CONFIG,
        "config": config,
        "tables": REPORT_TABLES,
        "per_class": REPORT_PER_CLASS,
        "figures": REPORT_FIGURES,
        "statistics": REPORT_STATISTICS,
        "sweeps": REPORT_SWEEPS,
        "timings": REPORT_TIMINGS,
        "input_checks": REPORT_INPUT_CHECKS,
    }
)


rule report:
    input:
        tables=[table["csv"] for table in [*REPORT_TABLES, *REPORT_STATISTICS]],
        sweeps=[path for sweep in REPORT_SWEEPS for path in (sweep["csv"], sweep["plot"])],
        per_class=[csv for group in REPORT_PER_CLASS for _, csv in group["rows"]],
        segmentation_table=f"{TABLES_DIR}/segmentation.csv",
        input_checks=REPORT_INPUT_CHECKS,
        code=[str(p) for p in module_sources("wsgcn.report.build")],
    output:
        report(REPORT_HTML, caption="../report/report.rst", category="Report"),
    log:
        f"logs/{DATASET_NAME}/report.log",
    localrule: True
    params:
        spec=REPORT_SPEC,
    shell:
        step_command("report", spec="{params.spec:q}", out="{output:q}")
