"""``tunestream spark run|query``: the Structured Streaming job and a quick look at its tables.

``query`` is also ``tunestream query``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tunestream.cli._context import settings_of
from tunestream.extras import SPARK, TABLES

app = typer.Typer(
    help="The Spark job: the Spotify topics into Delta tables, exactly once.",
    no_args_is_help=True,
)


@app.command()
def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option("--once", help="Process what the topics hold now, then stop."),
    ] = False,
) -> None:
    """Run the job (master from spark.master) until Ctrl-C, or with --once until caught up."""
    SPARK.check("tunestream spark run")
    from tunestream.spark.runner import run as run_job  # pyspark loads only when asked for

    run_job(settings_of(ctx), once=once)


@app.command()
def query(
    ctx: typer.Context,
    sql: Annotated[str, typer.Argument(help="A DuckDB SQL statement over the tables.")],
    csv: Annotated[bool, typer.Option("--csv", help="Print every row and column as CSV.")] = False,
) -> None:
    """Query the job's tables with DuckDB, e.g. "SELECT * FROM release_stats"."""
    TABLES.check("tunestream query")
    from tunestream.tables.query import run_sql, table_names

    settings = settings_of(ctx)
    root = settings.spark.tables_path(settings.data_dir)
    if sql.strip().lower() in ("tables", "show tables"):
        for name in table_names(root):
            typer.echo(name)
        return
    relation = run_sql(root, sql)
    if relation is None:
        return
    if csv:
        import csv as csv_module
        import sys

        writer = csv_module.writer(sys.stdout)
        writer.writerow(relation.columns)
        writer.writerows(relation.fetchall())
    else:
        relation.show(max_width=200, max_rows=200)
