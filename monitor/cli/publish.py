"""`policywatch publish`: the public site for the blog (pages per state and payer, map, feed)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli.common import common_options, console, make_context


@click.command(
    short_help="Publish the public site for the blog: map, state and payer pages, changes, feed."
)
@common_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the site into (default: the config's [publish] out_dir).",
)
@click.option(
    "--base-url",
    default=None,
    metavar="URL",
    help="Where the folder will be served, e.g. https://example.org/coverage/ (default: "
    "[publish] base_url). Every link on the site is absolute under it.",
)
def publish(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    out: Path | None,
    base_url: str | None,
) -> None:
    """Publish the coverage answer as a static site: index.html with a map, a page per state
    (states/XX.html and .md) and per payer, one page per confirmed change, feed.atom, and the
    archived evidence (archive/, made inert).

    Only changes an analyst confirmed (`policywatch review ID confirmed`) are published.
    Re-running with the same data rewrites nothing.
    """
    from monitor.publish import BaseUrlError, publish_site

    ctx = make_context(config_path, db_url, sources_files)
    settings = ctx.config.publish
    target = out or (Path(settings.out_dir) if settings.out_dir else None)
    if target is None:
        _fail("no output folder: pass --out DIR (or set [publish] out_dir in the config)")
        return
    if target.exists() and not target.is_dir():
        _fail(f"{target} exists and is not a folder: pass --out with a folder path")
        return
    try:
        with ctx.database(must_exist=True) as db, db.session() as session:
            result = publish_site(
                session,
                target,
                base_url or settings.base_url,
                require_review=settings.require_review,
                feed_size=settings.feed_size,
            )
    except BaseUrlError as exc:
        _fail(str(exc))
        return
    except OSError as exc:
        _fail(f"cannot write the site into {target}: {exc.strerror or exc}", status=1)
        return
    except ValueError as exc:  # e.g. an archived version whose bytes no longer match its hash
        _fail(f"{exc}; nothing was removed from {target}; run `policywatch db check`", status=1)
        return
    s = result.stats
    console.print(
        f"{result.states} state pages, {result.payers} payer pages, {result.changes} confirmed "
        f"change(s); {len(s.written)} file(s) written, {len(s.unchanged)} unchanged, "
        f"{len(s.removed)} removed",
        highlight=False,
        soft_wrap=True,
    )
    console.print(str(result.index), highlight=False, soft_wrap=True)


def _fail(message: str, status: int = 2) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)
