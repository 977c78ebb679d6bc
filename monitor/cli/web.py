"""`policywatch serve` (the review workspace) and `policywatch users` (its accounts)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from monitor.cli.common import common_options, console, make_context, print_json, show_table
from monitor.schema import document, timestamp
from monitor.web.accounts import ROLES, AccountError, add_user, issue_token, list_users, remove_user


@click.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Proxies trusted for X-Forwarded-Proto/For (HTTPS termination: cookies become Secure).",
)
def serve(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    host: str,
    port: int,
    forwarded_allow_ips: str,
) -> None:
    """Run the analysts' review workspace: queue, change pages, reviews, operators' pages.

    Binds to 127.0.0.1 unless --host says otherwise; put it behind an HTTPS proxy to serve
    others. Create the first account with `policywatch users add NAME --role admin
    --password-stdin`. The session key comes from $POLICYWATCH_SECRET_KEY, else a file in
    the data directory.
    """
    import uvicorn

    from monitor.web.app import create_app, secret_key

    ctx = make_context(config_path, db_url, sources_files)
    db = ctx.database(must_exist=True)
    with db.session() as s:
        if not list_users(s):
            console.print(
                "[yellow]No users yet[/yellow]: create one with\n"
                f"  policywatch users add NAME --role admin --password-stdin --db {db.display_url}"
            )
    app = create_app(db, ctx.config, secret=secret_key())
    console.print(f"policywatch workspace on http://{host}:{port}/ (database {db.display_url})")
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips,
            server_header=False,
            log_level="info",
        )
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}; try --port") from None
    finally:
        db.dispose()


@click.group()
def users() -> None:
    """Accounts of the review workspace: viewer, analyst, operator or admin."""


@users.command("add")
@common_options
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (first line), e.g. from a password manager.",
)
def users_add(
    config_path: str | None,
    db_url: str | None,
    sources_files: tuple[str, ...],
    name: str,
    role: str,
    password_stdin: bool,
) -> None:
    """Create user NAME (viewer reads; analyst reviews; operator manages sources; admin all)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("no terminal to ask for a password: pass --password-stdin")
    try:
        with make_context(config_path, db_url, sources_files).database() as db, db.session() as s:
            add_user(s, name, role, password, now=datetime.now(UTC))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"added {name} ({role}); start the workspace with `policywatch serve`")


@users.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def users_list(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], as_json: bool
) -> None:
    """List the accounts (never their secrets)."""
    ctx = make_context(config_path, db_url, sources_files)
    with ctx.database(must_exist=True) as db, db.session() as s:
        accounts = [
            {
                "name": u.name,
                "role": u.role,
                "api_token": bool(u.api_token_hash),
                "created_at": timestamp(u.created_at),
            }
            for u in list_users(s)
        ]
    if as_json:
        print_json(document("users", accounts))
        return
    rows = [
        (a["name"], a["role"], "yes" if a["api_token"] else "no", a["created_at"]) for a in accounts
    ]
    if not rows:
        console.print("No users. Add one: policywatch users add NAME --role admin --password-stdin")
        return
    show_table(f"{len(rows)} user(s)", ["name", "role", "api token", "created"], rows)


@users.command("remove")
@common_options
@click.argument("name")
def users_remove(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], name: str
) -> None:
    """Remove user NAME: their sessions and API token stop working; their reviews stay."""
    ctx = make_context(config_path, db_url, sources_files)
    try:
        with ctx.database(must_exist=True) as db, db.session() as s:
            remove_user(s, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"removed {name}")


@users.command("token")
@common_options
@click.argument("name")
def users_token(
    config_path: str | None, db_url: str | None, sources_files: tuple[str, ...], name: str
) -> None:
    """Issue a new API token for NAME (printed once; the previous token stops working)."""
    ctx = make_context(config_path, db_url, sources_files)
    try:
        with ctx.database(must_exist=True) as db, db.session() as s:
            token = issue_token(s, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(token)
