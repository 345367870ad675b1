"""The HTML evaluation report: tables, per-class chart, qualitative figures, provenance."""
