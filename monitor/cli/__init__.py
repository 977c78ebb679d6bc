"""The `policywatch` command line."""

from __future__ import annotations

import click

from monitor.cli.archive import history, show
from monitor.cli.changes import changes, diff, review
from monitor.cli.cluster import cluster, worker
from monitor.cli.crawl import crawl
from monitor.cli.database import db
from monitor.cli.demo import demo
from monitor.cli.evaluate import evaluate
from monitor.cli.extraction import extract, reextract
from monitor.cli.health import health
from monitor.cli.publish import publish
from monitor.cli.report import report
from monitor.cli.run import run, schedule
from monitor.cli.sources import sources
from monitor.cli.web import serve, users


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="policywatch")
def main() -> None:
    """policywatch: watch insurers' ketamine and esketamine coverage documents.

    Start with `policywatch demo` (no internet needed), then `policywatch sources list`
    and `policywatch crawl`.
    """


for command in (
    run,
    schedule,
    demo,
    crawl,
    diff,
    changes,
    report,
    publish,
    review,
    extract,
    reextract,
    evaluate,
    history,
    health,
    show,
    sources,
    db,
    serve,
    users,
    worker,
    cluster,
):
    main.add_command(command)
