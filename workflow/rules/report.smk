# The HTML report of this run (part of the default target): snakemake report
# It holds Table 1, the segmentation table (paper's Table 5 layout) with per-class bar
# charts, Table 2 when report.table2 is set, the qualitative figures, the training-set
# label statistics, timings from the benchmark files, software versions and the config.
# `snakemake --report report.html` also works: it embeds this report and the tables.

REPORT = config["report"]
REPORT_HTML = f"{RESULTS}/{DATASET_NAME}/report.html"
BENCHMARKS = f"logs/{DATASET_NAME}/benchmarks"


def _hash(folder):
    return folder.split("/")[-1]


def _figure_ids():
    return REPORT["figure_ids"] or EVAL_IDS[: REPORT["figure_count"]]


_unknown_figure_ids = sorted(set(REPORT["figure_ids"]) - set(INFER_IDS))
if _unknown_figure_ids:
    raise WsgcnError(f"report.figure_ids: {_unknown_figure_ids[:3]} are not in dataset.lists.infer")

_MAIN_CHAIN = SEG_CHAINS[SEG["labels"]]
REPORT_TABLES = [
    {"id": "table1", "caption": "Table 1: pseudo-label quality (mIoU, %)", "csv": f"{TABLES_DIR}/table1.csv"},
    {
        "id": "cam-threshold-sweep",
        "caption": "CAM mIoU (%) by background threshold (cam.eval.threshold)",
        "csv": f"{CAM_DIR}/eval/threshold_sweep.csv",
    },
    *(
        [{"id": "table2", "caption": "Table 2: GCN loss ablation (mIoU, %)", "csv": f"{TABLES_DIR}/table2.csv"}]
        if REPORT["table2"]
        else []
    ),
]
REPORT_STATISTICS = [
    *(
        {
            "id": f"label-statistics-{source}",
            "caption": f"Segmentation training set from {LABEL_SET_TITLES[source]} labels",
            "csv": f"{chain['data']}/label_statistics.csv",
        }
        for source, chain in SEG_CHAINS.items()
    ),
]
REPORT_PER_CLASS = [
    {
        "id": "segmentation",
        "caption": f"Segmentation (paper's Table 5 layout): DeepLabv2 on {len(SEG_EVAL_IDS)} evaluation images",
        "rows": [
            [SEG_FOLDERS[chain[stage]], f"{chain[stage]}/eval/miou.csv"]
            for chain in SEG_CHAINS.values()
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
            ["partial labels", PARTIAL_DIR],
            ["RW", RW_DIR],
            ["GCN", GCN_DIR],
            ["GCN + CRF", GCN_CRF_DIR],
            ["ground truth", "truth"],
        ],
    },
    {
        "id": "figure-segmentation",
        "caption": f"Segmenter trained on {LABEL_SET_TITLES[SEG['labels']]} labels, evaluation images.",
        "ids": SEG_EVAL_IDS[: REPORT["figure_count"]],
        "columns": [
            ["image", "image"],
            ["DeepLabv2", _MAIN_CHAIN["seg"]],
            ["DeepLabv2 + CRF", _MAIN_CHAIN["seg_crf"]],
            ["ground truth", "truth"],
        ],
    },
]
REPORT_TIMINGS = {
    "train_cam": [f"{BENCHMARKS}/train_cam/{TRAIN_CAM_HASH}.tsv"],
    "cam": [f"{BENCHMARKS}/cam/{CAM_HASH}/*.tsv"],
    "ir_label": [f"{BENCHMARKS}/ir_label/{IR_LABEL_HASH}/*.tsv"],
    "train_irn": [f"{BENCHMARKS}/train_irn/{TRAIN_IRN_HASH}.tsv"],
    "boundary": [f"{BENCHMARKS}/boundary/{BOUNDARY_HASH}/*.tsv"],
    "random_walk (+ CRF)": [f"{BENCHMARKS}/random_walk/{RW_CRF_HASH}/*.tsv"],
    "partial_labels": [f"{BENCHMARKS}/partial_labels/{PARTIAL_HASH}/*.tsv"],
    "gcn (+ CRF)": [f"{BENCHMARKS}/gcn/{_hash(GCN_CRF_DIR)}/*.tsv"],
    **{
        f"train_seg ({LABEL_SET_TITLES[s]})": [f"{BENCHMARKS}/train_seg/{_hash(c['train'])}.tsv"]
        for s, c in SEG_CHAINS.items()
    },
    **{
        f"segment ({LABEL_SET_TITLES[s]})": [f"{BENCHMARKS}/segment/{_hash(c['seg_crf'])}/*.tsv"]
        for s, c in SEG_CHAINS.items()
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
        "timings": REPORT_TIMINGS,
        "input_checks": REPORT_INPUT_CHECKS,
    }
)


rule report:
    input:
        tables=[table["csv"] for table in REPORT_TABLES + REPORT_STATISTICS],
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
