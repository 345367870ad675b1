# The paper's Tables 1 and 2 for this run, as named targets:
#   snakemake table1   (CAM, RW, RW + CRF, GCN, GCN + CRF; part of the default target)
#   snakemake table2   (loss ablation with and without the final dCRF; trains 3 extra GCN settings)

TABLE1 = [
    ({"method": "CAM"}, f"{CAM_DIR}/eval/cam_miou.csv"),
    ({"method": "RW (IRNet)"}, f"{RW_DIR}/eval/miou.csv"),
    ({"method": "RW + CRF"}, f"{RW_CRF_DIR}/eval/miou.csv"),
    ({"method": "GCN (WSGCN-I)"}, f"{GCN_DIR}/eval/miou.csv"),
    ({"method": "GCN + CRF (WSGCN-I)"}, f"{GCN_CRF_DIR}/eval/miou.csv"),
]
TABLE2 = [
    (
        {
            "entropy loss": "x" if entropy else "",
            "Laplacian loss": "x" if laplacian else "",
            "dCRF": "x" if crf else "",
        },
        f"{folders[1] if crf else folders[0]}/eval/miou.csv",
    )
    for crf in (False, True)
    for (entropy, laplacian), folders in LOSS_ABLATION.items()
]
TABLES_DIR = f"{RESULTS}/{DATASET_NAME}/tables"


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


# The segmentation table in the layout of the paper's Table 5 (per-class IoU on the
# segmenter's evaluation split), one row per label set, without and with the CRF.
SEG_TABLE = [
    (
        {"training labels": LABEL_SET_TITLES[source], "CRF": "x" if crf else ""},
        f"{chain['seg_crf' if crf else 'seg']}/eval/miou.csv",
    )
    for source, chain in SEG_CHAINS.items()
    for crf in (False, True)
]


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
        title=f"Segmentation: DeepLabv2, per-class IoU (%) over {len(SEG_EVAL_IDS)} evaluation images",
    shell:
        step_command(
            "summary-table",
            rows="{params.rows:q}",
            title="{params.title:q}",
            csv="{output.csv:q}",
            markdown="{output.markdown:q}",
            per_class=True,
        )
