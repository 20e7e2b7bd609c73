"""``tunestream bench …``: benchmarks that write their section of docs/BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tunestream.cli.plugins import settings_of
from tunestream_benchmarks.report import DEFAULT_REPORT, write_section

__all__ = ["app"]

Output = Annotated[Path, typer.Option(help="Report to update.", dir_okay=False)]
Write = Annotated[bool, typer.Option(help="Write the report section (else only print it).")]

app = typer.Typer(
    help="Run benchmarks and record them in docs/BENCHMARKS.md.", no_args_is_help=True
)


@app.command()
def emulator(
    duration: Annotated[float, typer.Option(help="Measured seconds per scenario.")] = 5.0,
    warmup: Annotated[float, typer.Option(help="Warm-up seconds per scenario.")] = 1.0,
    connections: Annotated[int, typer.Option(help="Concurrent keep-alive connections.")] = 32,
    min_rps: Annotated[
        float, typer.Option(help="Target for small requests; below it exits 1.")
    ] = 1000.0,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """Requests per second of the Spotify emulator, against a hello-world baseline."""
    from tunestream_benchmarks.emulator import BenchOptions, report, run

    options = BenchOptions(
        duration_s=duration, warmup_s=warmup, connections=connections, min_rps=min_rps
    )
    command = (
        f"tunestream bench emulator --duration {duration:g} --warmup {warmup:g} "
        f"--connections {connections}"
    )
    body, ok = report(run(options), options, command)
    typer.echo(body)
    if write:
        write_section(output, "emulator", body)
        typer.echo(f"written to {output}", err=True)
    if not ok:
        raise typer.Exit(1)


@app.command()
def ingest(
    ctx: typer.Context,
    budget_seconds: Annotated[
        float, typer.Option(help="How long the rate-budget run lasts.")
    ] = 90.0,
    memory_tracks: Annotated[
        int, typer.Option(help="Tracks a day in the memory run (full discovery of one day).")
    ] = 100_000,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """The producer's requests, rate-budget use, Kafka write speed and memory."""
    from tunestream_benchmarks.ingest import IngestOptions, run

    options = IngestOptions(budget_seconds=budget_seconds, memory_tracks=memory_tracks)
    command = (
        f"tunestream bench ingest --budget-seconds {budget_seconds:g} "
        f"--memory-tracks {memory_tracks}"
    )
    body = run(settings_of(ctx), options, command)
    typer.echo(body)
    if write:
        write_section(output, "ingest", body)
        typer.echo(f"written to {output}", err=True)


@app.command()
def discovery(
    tracks_per_day: Annotated[
        float, typer.Option(min=1, help="The emulator's new tracks a day.")
    ] = 100_000.0,
    budget_share: Annotated[
        float, typer.Option(min=0.01, help="Rolling budget a cycle, as a share of ceil(W/P).")
    ] = 0.4,
    profile: Annotated[
        list[str] | None, typer.Option(help="extended (50 a page), development (10); default both.")
    ] = None,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """Search discovery at scale: a complete pass ÷ ceil(W/P), and rolling hourly cycles."""
    from tunestream_benchmarks.discovery import DiscoveryOptions, run, save_measures

    profiles = tuple(profile or ("extended", "development"))
    options = DiscoveryOptions(
        tracks_per_day=tracks_per_day, budget_share=budget_share, profiles=profiles
    )
    command = (
        f"tunestream bench discovery --tracks-per-day {tracks_per_day:g} "
        f"--budget-share {budget_share:g}" + "".join(f" --profile {p}" for p in profiles)
    )
    body, results = run(options, command, say=lambda line: typer.echo(line, err=True))
    typer.echo(body)
    if write:
        write_section(output, "discovery", body)
        save_measures(output.parent / "benchmarks" / "discovery.json", results, options, command)
        typer.echo(f"written to {output}", err=True)


@app.command()
def conditional(
    ctx: typer.Context,
    repositories: Annotated[
        int, typer.Option(min=1, help="Repositories of the GitHub stand-in.")
    ] = 5,
    history_days: Annotated[
        float, typer.Option(min=0, help="Days of generated history before its clock.")
    ] = 30.0,
    actions_per_hour: Annotated[
        float, typer.Option(min=0.01, help="Generated actions per repository an hour.")
    ] = 2.0,
    edits: Annotated[
        int, typer.Option(min=1, help="Issue edits, and as many comments, before the last cycle.")
    ] = 10,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """A GitHub cycle where nothing changed: the shipped spec ÷ a peer that ignores ETags."""
    from tunestream_benchmarks.conditional import ConditionalOptions, run

    options = ConditionalOptions(repositories, history_days, actions_per_hour, edits)
    body = run(settings_of(ctx), options, lambda line: typer.echo(line, err=True))
    typer.echo(body)
    if write:
        write_section(output, "conditional", body)
        typer.echo(f"written to {output}", err=True)


@app.command()
def enrichment(
    ctx: typer.Context,
    tracks: Annotated[
        int, typer.Option(min=1, help="New tracks of the emulator's day: about the topic's.")
    ] = 1_000,
    baseline_tracks: Annotated[
        int, typer.Option(min=1, help="Tracks the one-id-a-request baselines read.")
    ] = 150,
    deezer_sample: Annotated[
        float, typer.Option(min=0.01, max=1, help="DEEZER_SAMPLE of the sampled Deezer run.")
    ] = 0.6,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """ReccoBeats, Deezer and MusicBrainz under their limits: tracks a day each keeps up with."""
    from tunestream_benchmarks.enrichment import EnrichmentOptions, run
    from tunestream_benchmarks.enrichment_report import report

    options = EnrichmentOptions(tracks, baseline_tracks, deezer_sample)
    body = report(run(settings_of(ctx), options, lambda line: typer.echo(line, err=True)), options)
    typer.echo(body)
    if write:
        write_section(output, "enrichment", body)
        typer.echo(f"written to {output}", err=True)


@app.command()
def spark(
    ctx: typer.Context,
    albums: Annotated[int, typer.Option(min=1, help="Albums in the backlog catalog.")] = 200,
    tracks: Annotated[int, typer.Option(min=1, help="Tracks per album.")] = 5,
    live_seconds: Annotated[
        float, typer.Option(min=1, help="How long records arrive for the latency phase.")
    ] = 30.0,
    rounds: Annotated[
        int, typer.Option(min=1, help="Measured rounds of the no-op read and of stage 1.")
    ] = 5,
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """The Spark job's records/s ÷ a no-op read of the same topics; end-to-end latency."""
    from tunestream_benchmarks.spark import report, run_bench

    result = run_bench(
        settings_of(ctx),
        albums=albums,
        tracks_per_album=tracks,
        live_seconds=live_seconds,
        rounds=rounds,
    )
    command = (
        f"tunestream bench spark --albums {albums} --tracks {tracks} "
        f"--live-seconds {live_seconds:g} --rounds {rounds}"
    )
    body = report(result, command)
    typer.echo(body)
    if write:
        write_section(output, "spark", body)
        typer.echo(f"written to {output}", err=True)


def _sizes(text: str, option: str) -> tuple[int, ...]:
    """Comma-separated numbers of records."""
    try:
        sizes = tuple(int(word) for word in text.split(",") if word.strip())
    except ValueError:
        raise typer.BadParameter("comma-separated numbers of records", param_hint=option) from None
    if any(size < 1 for size in sizes):
        raise typer.BadParameter("a backlog holds at least one record", param_hint=option)
    return sizes


@app.command("spark-catchup")
def spark_catchup(
    ctx: typer.Context,
    backlogs: Annotated[
        str, typer.Option(help="Backlogs without analyses, in records, comma-separated.")
    ] = "10000,30000,100000,300000,1000000",
    analysis_backlogs: Annotated[
        str, typer.Option(help="Backlogs with an analysis of every track ('' for none).")
    ] = "10000,30000,100000",
    output: Output = DEFAULT_REPORT,
    write: Write = True,
) -> None:
    """The Spark job's catch-up rate by backlog (one run of both stages), and its headroom."""
    from tunestream_benchmarks.catchup import CatchupOptions, plot, report, run
    from tunestream_benchmarks.plots import markdown_image

    options = CatchupOptions(
        _sizes(backlogs, "--backlogs"), _sizes(analysis_backlogs, "--analysis-backlogs")
    )
    if not options.backlogs and not options.analysis_backlogs:
        raise typer.BadParameter("no backlog to measure", param_hint="--backlogs")
    command = (
        f"tunestream bench spark-catchup --backlogs {backlogs} "
        f"--analysis-backlogs '{analysis_backlogs}'"
    )
    result = run(settings_of(ctx), options, lambda line: typer.echo(line, err=True))
    image = ""
    if write:
        figure = plot(result, output.parent / "benchmarks")
        image = markdown_image(figure, output, "Spark catch-up rate")
    body = report(result, options, image, command)
    typer.echo(body)
    if write:
        write_section(output, "spark-catchup", body)
        typer.echo(f"written to {output}", err=True)


@app.command("all")
def all_(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option(help="A smoke run of a few minutes (short phases, rough numbers).")
    ] = False,
    only: Annotated[
        str, typer.Option(help="Comma-separated benchmarks to run, in the fixed order.")
    ] = "emulator,ingest,spark,partitions,capacity",
    output: Output = DEFAULT_REPORT,
) -> None:
    """Every benchmark on one broker started for the run; rewrites the report and its plots."""
    from tunestream_benchmarks.all import PIECES, AllOptions, run

    chosen = tuple(name for name in PIECES if name in only.split(","))
    unknown = set(only.split(",")) - set(PIECES)
    if unknown or not chosen:
        raise typer.BadParameter(f"choose from {', '.join(PIECES)}", param_hint="--only")
    if "capacity" in chosen and "partitions" not in chosen:
        raise typer.BadParameter("capacity uses what partitions measures", param_hint="--only")
    run(
        settings_of(ctx), AllOptions(quick, chosen, output), lambda line: typer.echo(line, err=True)
    )
