"""Reports from the database: change report, coverage matrix, digest, Atom feed, JSON, CSV.

``queries`` reads the database into plain ``model`` objects; the renderers (``html``,
``matrix``, ``digest``, ``feed``, ``jsondump``) are pure functions of those objects; ``writer``
ties them together and exports the archived snapshots every report links to (``archive``,
named by content hash); ``weeks`` splits the change report per ISO week and ``manifest``
keeps writes incremental.
"""

from monitor.reports.writer import (
    FILES,
    FORMATS,
    OUTPUTS,
    report_output,
    write_all_reports,
    write_report,
)

__all__ = [
    "FILES",
    "FORMATS",
    "OUTPUTS",
    "report_output",
    "write_all_reports",
    "write_report",
]
