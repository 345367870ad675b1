"""Step ``report``: the HTML report of a run, from a report spec (see :mod:`wsgcn.report.build`)."""

from __future__ import annotations

import logging

from wsgcn.params import Spec
from wsgcn.report.build import write_report

log = logging.getLogger(__name__)


def report(spec: Spec, out: str) -> None:
    """Write the report described by ``spec`` to ``out`` (HTML)."""
    write_report(spec, out)
    log.info("report written to %s", out)
