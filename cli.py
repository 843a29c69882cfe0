"""`moa`: the command line. Each command parses options, calls one library function,
prints. Settings: option, else environment variable, else default (archive.core.config)."""
from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click

from archive.core import config
from archive.core.errors import MoaError
from archive.core.progress import NullProgress, StderrProgress
from store.datadir import DataDir


def emit_json(obj) -> None:
    """Machine output: one JSON document on stdout."""
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def emit_csv(rows, columns: list[str] | None = None) -> None:
    """Tabular output: CSV with a header row on stdout, formulas neutralised as the web's
    (archive.core.csvout). Columns: *columns* (rows are then streamed), else the union of
    the rows' keys."""
    from archive.core.csvout import write_csv
    write_csv(sys.stdout, rows, columns, lineterminator="\n")


def exit_status(*all_done: bool) -> None:
    """Exit codes, the same for every command that does work: 0 all done, 1 something
    failed (the command has printed the summary), 2 usage (click)."""
    if not all(all_done):
        sys.exit(1)


def on_wait(message: str) -> None:
    """A writer waiting for another's lock says so on stderr, --json or not."""
    click.echo(f"moa: {message}", err=True)


def progress_for(label: str, quiet: bool = False):
    return NullProgress() if quiet else StderrProgress(label)


def friendly_errors(f):
    """Turn our own errors into a one-line message and exit code 1 (no traceback)."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except MoaError as e:
            raise click.ClickException(str(e)) from e
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", envvar="MOA_DATA_DIR", default=config.DEFAULT_DATA_DIR,
              show_default=True, type=click.Path(file_okay=False),
              help="Where the archive lives (env MOA_DATA_DIR).")
@click.pass_context
def main(ctx: click.Context, data_dir: str) -> None:
    """moa-archive: harvest, read, search and compare ICE 287(g) agreements."""
    ctx.obj = DataDir(data_dir)
    ctx.call_on_close(ctx.obj.close)


pass_datadir = click.make_pass_decorator(DataDir)


# --- harvest (issue #2) ----------------------------------------------------------

@main.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def import_cmd(datadir: DataDir, paths: tuple[Path, ...], as_json: bool) -> None:
    """Add local PDFs and roster workbooks (files or directories), e.g. FOIA copies."""
    from archive.harvest.importer import import_paths
    result = import_paths(datadir, list(paths), progress=progress_for("import", as_json), on_wait=on_wait)
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(f"imported {result.files} file(s): {result.documents} PDF(s), {result.rosters} "
                   f"roster(s) ({result.new_snapshots} new snapshot(s)), {result.new_files} new file(s)"
                   + (f"; {len(result.errors)} refused" if result.errors else ""))
        for e in result.errors:
            click.echo(f"error: {e.path}: {e.reason}", err=True)
        if result.files:
            click.echo("run `moa process` to read, cut and index what was imported", err=True)
    exit_status(result.all_done)


def harvest_options(f):
    """The harvest settings, shared by `harvest` and `update` (see README, Configuration)."""
    options = [
        click.option("--source-url", envvar="MOA_SOURCE_URL", default=config.DEFAULT_SOURCE_URL,
                     show_default=True, help="ICE's 287(g) program page (env MOA_SOURCE_URL)."),
        click.option("--allow-host", "allow_hosts", multiple=True, metavar="HOST",
                     help="Also allow contacting HOST (repeatable; env MOA_ALLOW_HOSTS, comma-separated). "
                          f"Always allowed: {', '.join(config.DEFAULT_ALLOW_HOSTS)}."),
        click.option("--delay", envvar="MOA_DELAY", type=click.FloatRange(min=0), default=config.DEFAULT_DELAY,
                     show_default=True, help="Seconds between requests to one host (env MOA_DELAY)."),
        click.option("--timeout", envvar="MOA_TIMEOUT", type=click.FloatRange(min=0.1),
                     default=config.DEFAULT_TIMEOUT, show_default=True,
                     help="Seconds per request (env MOA_TIMEOUT)."),
        click.option("--retries", envvar="MOA_RETRIES", type=click.IntRange(min=0), default=config.DEFAULT_RETRIES,
                     show_default=True, help="Retries on 5xx, timeouts and resets (env MOA_RETRIES)."),
        click.option("--max-bytes", envvar="MOA_MAX_BYTES", type=click.IntRange(min=1),
                     default=config.DEFAULT_MAX_BYTES, show_default=True,
                     help="Largest response accepted (env MOA_MAX_BYTES)."),
        click.option("--user-agent", envvar="MOA_USER_AGENT", default=config.DEFAULT_USER_AGENT,
                     help="User-Agent header (env MOA_USER_AGENT)."),
        click.option("--wayback/--no-wayback", envvar="MOA_WAYBACK", default=False, show_default=True,
                     help="Recover linked PDFs that answer 404/410 from the Wayback Machine (env MOA_WAYBACK=1)."),
        click.option("--wayback-url", envvar="MOA_WAYBACK_URL", default=config.DEFAULT_WAYBACK_URL,
                     show_default=True, help="The Wayback Machine (env MOA_WAYBACK_URL); allowed only with --wayback."),
        click.option("--wayback-delay", envvar="MOA_WAYBACK_DELAY", type=click.FloatRange(min=0),
                     default=config.DEFAULT_WAYBACK_DELAY, show_default=True,
                     help="Seconds between requests to the Wayback Machine (env MOA_WAYBACK_DELAY)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def harvest_settings(source_url, allow_hosts, delay, timeout, retries, max_bytes, user_agent,
                     wayback=False, wayback_url=config.DEFAULT_WAYBACK_URL,
                     wayback_delay=config.DEFAULT_WAYBACK_DELAY) -> config.HarvestSettings:
    import os
    extra = tuple(allow_hosts) + tuple(os.environ.get("MOA_ALLOW_HOSTS", "").split(","))
    return config.HarvestSettings(source_url=source_url, delay=delay, timeout=timeout, retries=retries,
                                  max_bytes=max_bytes, user_agent=user_agent, extra_hosts=extra,
                                  wayback=wayback, wayback_url=wayback_url, wayback_delay=wayback_delay)


def print_harvest(result) -> None:
    click.echo(f"harvest of {result.source_url}: {result.status}; {result.requests} request(s), "
               f"{result.bytes} byte(s); {result.new_files} new file(s), {result.new_versions} new "
               f"version(s), {result.not_modified + result.unchanged} unchanged, {result.new_snapshots} new "
               f"roster snapshot(s), {len(result.failures)} failure(s)")
    from archive.harvest.run import unpublished
    others = [f for f in result.failures if not unpublished(f)]
    for f in others[:20]:
        click.echo(f"  failed {f.purpose} {f.url}: {f.reason}", err=True)
    if len(others) > 20:
        click.echo(f"  ... and {len(others) - 20} more (see `moa status --json`)", err=True)
    if result.unpublished:
        click.echo(f"  {result.unpublished} linked file(s) answered 404 (ICE lists them "
                   "but does not publish them; see `moa status --json`)", err=True)
    if result.wayback:
        w = result.wayback
        click.echo(f"  wayback: {w['recovered']} dead link(s) recovered ({w['already_recovered']} earlier), "
                   f"{w['no_capture']} without a capture, {w['not_pdf']} whose captures are not PDFs, "
                   f"{w['failed']} failed, {w['held']} held from ICE, {w['skipped']} skipped; "
                   f"{w['asked']} CDX quer(ies)", err=True)
    if result.status == "failed":
        click.echo(f"error: nothing could be fetched from {result.source_url}; ICE may be unreachable "
                   "or refusing this client (see above). The archive is unchanged.", err=True)
    elif result.problems:
        click.echo(f"error: {result.problems} request(s) failed (see above); what came is stored, "
                   "run the harvest again later or `moa import` the files", err=True)


@main.command()
@harvest_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def harvest(datadir: DataDir, as_json: bool, **options) -> None:
    """Fetch ICE's 287(g) rosters, MOAs, addenda, templates and archived MOAs."""
    from archive.harvest.run import harvest as run_harvest
    result = run_harvest(datadir, harvest_settings(**options), progress=progress_for("harvest", as_json),
                         on_wait=on_wait)
    emit_json(result.to_dict()) if as_json else print_harvest(result)
    exit_status(result.all_done)


@main.command()
@harvest_options
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for reading pages.")
@click.option("--force", is_flag=True, help="Re-run every stage on every document.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def update(datadir: DataDir, workers, force, as_json, **options) -> None:
    """Harvest, then `moa process` (read, sections, index, compare cache). If ICE cannot be
    reached, what the archive holds is still processed; the exit code is 1 if anything failed."""
    from archive.harvest.run import harvest as run_harvest
    from archive.pipeline import process
    result = run_harvest(datadir, harvest_settings(**options), progress=progress_for("harvest", as_json),
                         on_wait=on_wait)
    if not as_json:
        print_harvest(result)
    processed = process(datadir, workers=workers, force=force,
                        progress=lambda label: progress_for(label, as_json))
    if as_json:
        emit_json({"harvest": result.to_dict(), "process": processed.to_dict()})
    else:
        print_process(processed)
    exit_status(result.all_done, processed.all_done)


def print_process(result) -> None:
    e, s, i, c = result.extract, result.sections, result.index, result.compare
    click.echo(f"read {e.get('ok', 0)} document(s) ({e.get('failed', 0)} failed, {e.get('pages', 0)} page(s)); "
               f"sections cut in {s.get('documents', 0)} ({s.get('complete', 0)} complete); "
               f"index: {', '.join(f'{k} {v}' for k, v in i.items() if isinstance(v, int))}; "
               f"compare cache: {c.get('refreshed', 0)} refreshed")
    for line in result.problems[:20]:
        click.echo(f"  failed {line}", err=True)
    if len(result.problems) > 20:
        click.echo(f"  ... and {len(result.problems) - 20} more (see `moa status`)", err=True)
    print_watch_summary(result.to_dict())


@main.command("process")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for reading pages.")
@click.option("--force", is_flag=True, help="Re-run every stage on every document.")
@click.option("--json", "as_json", is_flag=True, help="Print each stage's summary as JSON on stdout.")
@pass_datadir
@friendly_errors
def process_cmd(datadir: DataDir, workers, force, as_json) -> None:
    """Every stage after harvest on what the archive holds (harvested or imported): read
    pages, cut sections, update the index, refresh the compare cache."""
    from archive.pipeline import process
    processed = process(datadir, workers=workers, force=force,
                        progress=lambda label: progress_for(label, as_json))
    emit_json(processed.to_dict()) if as_json else print_process(processed)
    exit_status(processed.all_done)


def print_watch_summary(summary: dict) -> None:
    """One line per saved search after processing (archive/watch)."""
    from archive.watch import summary_line
    for report in summary.get("watch", []):
        click.echo(summary_line(report))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
@click.option("--coverage", "show_coverage", is_flag=True,
              help="Per state and model: how much of the participating roster has an MOA on file.")
@click.option("--csv", "as_csv", is_flag=True, help="With --coverage: print CSV on stdout.")
@pass_datadir
@friendly_errors
def status(datadir: DataDir, as_json: bool, show_coverage: bool, as_csv: bool) -> None:
    """What the archive holds, and what failed (--coverage: how much of the roster)."""
    if show_coverage:
        return print_coverage(datadir, _output_format(as_json, as_csv))
    if as_csv:
        raise click.UsageError("--csv goes with --coverage")
    from archive.status import status as get_status
    s = get_status(datadir)
    if as_json:
        return emit_json(s.to_dict())
    by = lambda d: ", ".join(f"{k or '?'} {v}" for k, v in d.items()) or "none"  # noqa: E731
    last, done = s.last_harvest, s.last_completed_harvest
    click.echo(f"agreements: {s.agreements} ({by(s.agreements_by_status)}); current by model: "
               f"{by(s.agreements_by_model)}; {s.pending_links} with link pending")
    click.echo(f"documents: {s.documents} ({by(s.documents_by_kind)}), {s.unlinked_documents} "
               f"not linked to a roster agreement; {s.versions} version(s) of {s.files} file(s), "
               f"{s.bytes} bytes; roster snapshots: {by(s.roster_snapshots)}")
    click.echo("last harvest: " + (f"{last.started_at} {last.status}" if last else "never"))
    if done and done.id != last.id:
        click.echo(f"last completed harvest: {done.started_at} {done.status}")
    if s.writer:
        w = s.writer
        click.echo(f"writing now: {w.get('command') or '?'} (pid {w.get('pid') or '?'}, since {w.get('since') or '?'})")
    click.echo("failures" + (" (of the last completed harvest, and reading)" if done and done.id != last.id
                             else "") + f": {s.failures}")
    lines = [f"  reading {f['file_name'] or f['sha256']}: {f['error']}" for f in s.failed_documents]
    lines += [f"  fetch {f['url']}: {f['error']}" for f in s.fetch_failures if f["status"] != 404]
    for line in lines[:20]:
        click.echo(line)
    if len(lines) > 20:
        click.echo(f"  ... and {len(lines) - 20} more (see `moa status --json`)")
    not_found = sum(f["status"] == 404 for f in s.fetch_failures)
    if not_found:
        click.echo(f"  {not_found} linked file(s) answered 404 (see `moa status --json`)")


def print_coverage(datadir: DataDir, fmt: str) -> None:
    from archive.coverage import COLUMNS, coverage, coverage_table
    result = coverage(datadir)
    if fmt == "json":
        return emit_json(result)
    if fmt == "csv":
        return emit_csv(coverage_table(result), list(COLUMNS))
    click.echo(f"{'state':<22} {'model':<5} {'agreements':>10} {'on file':>8} {'share':>6} {'pending':>8} "
               f"{'dead':>5} {'recov.':>6} {'unread.':>7} {'other':>6}")
    for r in coverage_table(result):
        click.echo(f"{r['state'].title():<22} {r['model'] or ('' if r['state'] == 'TOTAL' else '?'):<5} {r['agreements']:>10} {r['on_file']:>8} "
                   f"{r['share_on_file']:>6.0%} {r['link_pending']:>8} {r['dead_links']:>5} {r['recovered']:>6} "
                   f"{r['unreadable']:>7} {r['not_fetched']:>6}")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@pass_datadir
@friendly_errors
def export(datadir: DataDir, fmt: str) -> None:
    """One row per stored document, with its provenance, on stdout."""
    from archive.status import EXPORT_COLUMNS, export_rows
    rows = (r.to_dict() for r in export_rows(datadir))
    if fmt == "csv":
        emit_csv(rows, EXPORT_COLUMNS)
    else:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


@main.group()
def roster() -> None:
    """ICE's roster snapshots."""


@roster.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
@pass_datadir
@friendly_errors
def roster_list_cmd(datadir: DataDir, as_json: bool) -> None:
    """Every roster snapshot, oldest first, with the id `moa roster diff --from/--to` takes."""
    from archive.status import roster_snapshots
    snaps = roster_snapshots(datadir)
    if as_json:
        return emit_json(snaps)
    for s in snaps:
        click.echo(f"{s['id']:>4}  {s['kind']:<13}  {s['file_name']}  {s['fetched_at']}  {s['row_count']} rows")


@roster.command("diff")
@click.option("--kind", type=click.Choice(["participating", "pending"]), default="participating", show_default=True)
@click.option("--from", "old_id", type=int, help="Snapshot id to compare from (see `moa roster list`).")
@click.option("--to", "new_id", type=int, help="Snapshot id to compare to (default: the newest).")
@click.option("--all", "every", is_flag=True, help="Every consecutive pair of snapshots, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout (with --all: a list).")
@pass_datadir
@friendly_errors
def roster_diff_cmd(datadir: DataDir, kind: str, old_id: int | None, new_id: int | None, every: bool,
                    as_json: bool) -> None:
    """Agreements added, removed and changed between two roster snapshots (default: the
    two newest)."""
    from archive.status import roster_diff, roster_history
    if every and (old_id is not None or new_id is not None):
        raise click.UsageError("--all compares every consecutive pair; leave out --from/--to")
    diffs = roster_history(datadir, kind) if every else [roster_diff(datadir, kind, old_id, new_id)]
    if as_json:
        return emit_json(diffs if every else diffs[0])
    if not diffs:
        click.echo(f"fewer than two {kind} roster snapshots: nothing to compare")
    for d in diffs:
        click.echo(f"{d['old']['file_name']} -> {d['new']['file_name']}: {len(d['added'])} added, "
                   f"{len(d['removed'])} removed, {len(d['changed'])} changed")
        for sign, rows in (("+", d["added"]), ("-", d["removed"])):
            for r in rows:
                click.echo(f"{sign} {r['state']} | {r['agency']} | {r['model']} | signed {r['signed']}")
        for c in d["changed"]:
            changes = "; ".join(f"{k}: {v[0]} -> {v[1]}" for k, v in c["changes"].items())
            click.echo(f"~ {c['state']} | {c['agency']} | {c['model']} | {changes}")



# --- read (issue #3) -------------------------------------------------------------

@main.command()
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="OCR processes (default: all cores).")
@click.option("--force", is_flag=True, help="Re-read every document, even those already read.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@pass_datadir
@friendly_errors
def extract(datadir: DataDir, workers: int | None, force: bool, as_json: bool) -> None:
    """Read every page of the documents not yet read: text layer, OCR where it is bad."""
    from archive.read.extract import extract_all
    s = extract_all(datadir, workers=workers, force=force, progress=progress_for("read", as_json))
    if as_json:
        emit_json(s)
        return exit_status(not s["failed"] and not s["partial"])
    click.echo(f"read {s['ok']} document(s), {s['partial']} partial, {s['failed']} failed; {s['pages']} page(s): "
               f"{s['text_pages']} from the text layer, {s['ocr_pages']} OCR'd "
               f"({s['ocr_pages_kept']} of them as an earlier version read them, "
               f"{s['ocr_failed_pages']} OCR failure(s)); {s['form_fields']} form value(s); "
               f"{s['seconds']} s")
    for f in s["failures"]:
        click.echo(f"{f['status']}: {f['error']}", err=True)
    exit_status(not s["failed"] and not s["partial"])


@main.command()
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print the document's pages as JSON on stdout.")
@pass_datadir
@friendly_errors
def text(datadir: DataDir, doc: str, as_json: bool) -> None:
    """A document's pages and form-field values (DOC: sha256, unique prefix or ICE's file name)."""
    from archive.read.extract import read_document
    d = read_document(datadir, doc)
    if as_json:
        return emit_json(d.to_dict())
    click.echo(f"{d.sha256}  {d.name}  {d.status}" + (f": {d.error}" if d.error else "")
               + f"  {d.page_count or 0} page(s)" + ("  encrypted" if d.encrypted else ""))
    for p in d.pages:
        conf = f"  OCR confidence {p.ocr_confidence:.0f}" if p.ocr_confidence is not None else ""
        ocr_state = f"  OCR {p.ocr_status}" if p.ocr_status not in (None, "ok") else ""
        click.echo(f"\n--- page {p.page}  method {p.method}  text layer {p.text_layer_quality}{conf}{ocr_state}"
                   f"  read by {p.reader or '?'}")
        click.echo(p.text.rstrip())
    if d.form_fields:
        click.echo("\n--- form fields")
        for f in d.form_fields:
            click.echo(f"{f.name} (page {f.page or '?'}): {f.value}")


# --- sections and facts (issue #4) -----------------------------------------------

@main.command("sections")
@click.argument("doc", required=False)
@click.option("--report", is_flag=True, help="Per model and era: complete counts, failures and why.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def sections_cmd(datadir: DataDir, doc: str | None, report: bool, as_json: bool) -> None:
    """A document's sections (DOC: sha256, unique prefix or ICE's file name), or --report."""
    from archive.structure import sections
    if report == bool(doc):
        raise click.UsageError("give either DOC or --report")
    if report:
        result = sections.report(datadir)
        if as_json:
            emit_json(result)
        else:
            click.echo(sections.format_report(result))
        return
    result = sections.document_sections(datadir, doc)
    if as_json:
        emit_json(result.to_dict())
        return
    state = "complete" if result.complete else "incomplete: " + "; ".join(result.problems)
    click.echo(f"{result.sha256}  layout {result.layout}  {state}")
    for s in result.sections:
        indent = "    " if s.parent else ""
        pages = f"p. {s.first_page}" + (f"-{s.last_page}" if s.last_page != s.first_page else "")
        click.echo(f"{indent}{s.number or '':<11} {s.title or '':<58} {s.key:<26} {pages}")


@main.command("facts")
@click.argument("doc")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def facts_cmd(datadir: DataDir, doc: str, as_json: bool) -> None:
    """The agreement's facts (agency, model, revision, signatures, contacts), with pages."""
    from archive.structure.facts import document_facts
    result = document_facts(datadir, doc)
    if as_json:
        emit_json(result.to_dict())
        return
    for f in result.facts:
        reader = f"; {f.reader}" if f.reader else ""
        click.echo(f"{f.name:<17} {f.value}  (p. {f.page if f.page is not None else '?'}{reader})")
    from archive.structure.facts import format_signed_check
    click.echo(format_signed_check(result.signed_check.to_dict()))



# --- index and search (issue #5) -------------------------------------------------

@main.command("index")
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index from the database.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_datadir
@friendly_errors
def index_cmd(datadir: DataDir, rebuild: bool, as_json: bool) -> None:
    """Bring the search index up to date with the database (or rebuild it)."""
    from archive import search
    run = search.rebuild_index if rebuild else search.update_index
    summary = run(datadir, progress=progress_for("index", quiet=as_json))
    if as_json:
        emit_json(summary)
    else:
        click.echo(", ".join(f"{k}={v}" for k, v in summary.items()))


class _QueryCommand(click.Command):
    """Takes words starting with '-' as query words (-warrant: NOT warrant), but still
    refuses a misspelt --option before any "--"."""

    def parse_args(self, ctx, args):
        head = args[:args.index("--")] if "--" in args else args
        known = {o for p in self.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
        bad = next((a for a in head if a.startswith("--") and a.split("=")[0] not in known), None)
        if bad:
            raise click.NoSuchOption(bad.split("=")[0], ctx=ctx)
        return super().parse_args(ctx, args)


@main.command("search", cls=_QueryCommand, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with total_documents and hits.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="Documents to show.")
@click.option("--all", "all_results", is_flag=True, help="Show every matching document.")
@pass_datadir
@friendly_errors
def search_cmd(datadir: DataDir, words: tuple[str, ...], as_json: bool, limit: int,
               all_results: bool) -> None:
    """Search the archive (query language: see README, "Searching"). The words make one
    query; a word starting with - works as it is (`moa search -certification`,
    `moa search immigration -warrant`) or after -- (`moa search -- -x`)."""
    import html

    from archive import search
    query = " ".join(words)
    res = search.search(datadir, query, per_page=limit, all_results=all_results)
    if as_json:
        emit_json(res.to_dict())
        return
    click.echo(f"{res.total_documents} document(s)")
    for h in res.hits:
        click.echo(f"\n{h.sha256[:12]}  {h.agency or '?'} ({h.state or '?'}) {h.model or '?'} "
                   f"signed {h.signed or '?'}  {h.file_name or ''}")
        click.echo(f"  pages {', '.join(map(str, h.pages)) or '-'}"
                   + (f"; section {h.section}" if h.section else ""))
        for m in h.matches:
            text = m.snippet.replace("<mark>", "[").replace("</mark>", "]")
            click.echo(f"  p.{m.page} ({m.source}): {html.unescape(text)}")


# --- saved searches (issue #18) ----------------------------------------------------

@main.group()
def watch() -> None:
    """Saved searches: what newly matches them since their last run."""


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--report-existing", is_flag=True,
              help="Report what matches now on the first run (default: only what is new from now on).")
@pass_datadir
@friendly_errors
def watch_add_cmd(datadir: DataDir, name: str, query: str, report_existing: bool) -> None:
    """Save QUERY (the search language) as NAME."""
    from archive import watch as watches
    w = watches.add(datadir, name, query, report_existing=report_existing)
    click.echo(f"saved watch {w.name}: {w.query}  ({w.matching} document(s) match now"
               + (", reported on the first run)" if report_existing else ", counted as seen)"))


@watch.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
@pass_datadir
@friendly_errors
def watch_list_cmd(datadir: DataDir, as_json: bool) -> None:
    """Every saved search, with what it matches and when it last ran."""
    from archive import watch as watches
    ws = watches.list_watches(datadir)
    if as_json:
        return emit_json([w.to_dict() for w in ws])
    for w in ws:
        click.echo(f"{w.name:<20} {w.matching:>4} matching, {w.unreported} not yet reported; last run "
                   f"{w.last_run_at or 'never'}  {w.query}")


@watch.command("rm")
@click.argument("name")
@pass_datadir
@friendly_errors
def watch_rm_cmd(datadir: DataDir, name: str) -> None:
    """Forget the saved search NAME."""
    from archive import watch as watches
    watches.remove(datadir, name)
    click.echo(f"removed watch {name}")


@watch.command("run")
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
@pass_datadir
@friendly_errors
def watch_run_cmd(datadir: DataDir, names: tuple[str, ...], as_json: bool) -> None:
    """Per saved search (all, or NAMES), the documents that newly match since its last run."""
    import html

    from archive import watch as watches
    reports = [r.to_dict() for r in watches.run(datadir, list(names))]
    if as_json:
        return emit_json({"watches": reports, "new_total": sum(r["new_count"] for r in reports)})
    for r in reports:
        click.echo(watches.summary_line(r, hint=False))
        for m in r["new"]:
            click.echo(f"  {m['sha256'][:12]}  {m['agency'] or '?'} ({m['state'] or '?'}) {m['model'] or '?'} "
                       f"signed {m['signed'] or '?'}  {m['file_name'] or ''}")
            for x in m["matches"]:
                text = x["snippet"].replace("<mark>", "[").replace("</mark>", "]")
                click.echo(f"    p.{x['page']} ({x['source']}): {html.unescape(text)}")


# --- web (issue #6) --------------------------------------------------------------

@main.command()
@click.option("--host", envvar="MOA_HOST", default="127.0.0.1", show_default=True,
              help="Address to listen on (env MOA_HOST); 0.0.0.0 for every interface.")
@click.option("--port", envvar="MOA_PORT", default=8287, show_default=True, type=int,
              help="Port to listen on (env MOA_PORT).")
@click.option("--threads", envvar="MOA_THREADS", default=8, show_default=True,
              type=click.IntRange(1, 64), help="Worker threads (env MOA_THREADS).")
@pass_datadir
@friendly_errors
def serve(datadir: DataDir, host: str, port: int, threads: int) -> None:
    """Serve the web site and API (read-only) with waitress."""
    from web import serve as serve_site
    serve_site(datadir.root, host=host, port=port, threads=threads,
               announce=lambda msg: click.echo(msg, err=True))


# --- compare (issue #7) ----------------------------------------------------------

def _output_format(as_json: bool, as_csv: bool = False) -> str:
    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    return "json" if as_json else "csv" if as_csv else "text"


@main.command("compare")
@click.argument("doc_a")
@click.argument("doc_b")
@click.option("--ignore-fillins/--no-ignore-fillins", default=True, show_default=True,
              help="Treat agency names, abbreviations, cities, addresses, dates and names as equal.")
@click.option("--ignore-ocr-noise/--no-ignore-ocr-noise", default=True, show_default=True,
              help="Ignore case, punctuation, spacing, line-end hyphens and OCR confusions (l/1/I, rn/m).")
@click.option("--all", "show_all", is_flag=True, help="Show the redline of every section, not only changed ones.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON on stdout.")
@pass_datadir
@friendly_errors
def compare_cmd(datadir: DataDir, doc_a: str, doc_b: str, ignore_fillins: bool, ignore_ocr_noise: bool,
                show_all: bool, as_json: bool) -> None:
    """Two agreements side by side, section by section: [-deleted-] {+inserted+} words."""
    from archive import compare
    r = compare.compare_pair(datadir, doc_a, doc_b, ignore_fillins=ignore_fillins,
                             ignore_ocr_noise=ignore_ocr_noise)
    if as_json:
        emit_json(r)
        return
    click.echo(f"A: {r['a']['file_name']}  ({r['a']['agency']}, {r['a']['model']}, signed {r['a']['signed']})")
    click.echo(f"B: {r['b']['file_name']}  ({r['b']['agency']}, {r['b']['model']}, signed {r['b']['signed']})")
    click.echo(f"similarity {r['similarity']:.3f}  " + ", ".join(f"{k} {v}" for k, v in r["counts"].items()))
    for s in r["sections"]:
        title = (s["a"] or s["b"])["title"] or ""
        click.echo(f"\n## {s['slot']}  {title}  [{s['status']}, similarity {s['similarity']:.3f}]")
        if s["status"] in ("only_a", "only_b"):
            click.echo(f"  (only in {s['status'][-1].upper()})")
        elif s["status"] == "changed" or show_all:
            click.echo(compare.redline_text(s["redline"]))


@main.command("deviation")
@click.argument("doc", required=False)
@click.option("--top", type=click.IntRange(1), help="List the N agreements that depart most from their baseline.")
@click.option("--model", help="With --top: only this model (JEM, TFM, TTFM, WSO).")
@click.option("--era", help="With --top: only this era (2019-2020, 2025).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="With --top: print CSV on stdout.")
@click.option("--include-unreliable", is_flag=True,
              help="With --top: rank agreements whose text is unreliable (garbled or failed pages) too.")
@pass_datadir
@friendly_errors
def deviation_cmd(datadir: DataDir, doc: str | None, top: int | None, model: str | None, era: str | None,
                  as_json: bool, as_csv: bool, include_unreliable: bool) -> None:
    """DOC against its model's baseline (template, else consensus), or the --top N that depart most."""
    from archive import compare
    fmt = _output_format(as_json, as_csv)
    if bool(doc) == bool(top):
        raise click.UsageError("give either DOC or --top N")
    if top:
        rows = compare.Stored(datadir, live=True).top_deviations(top, model=model, era=era,
                                                                 include_unreliable=include_unreliable)
        if fmt == "json":
            emit_json(rows)
        elif fmt == "csv":
            emit_csv(compare.deviation_table(rows))
        else:
            for r in rows:
                click.echo(f"{r['deviation']:.3f}  {r['model']:<4} {r['era']:<9} {r['file_name']}  "
                           f"changed {r['changed']}, missing {r['missing']}, extra {r['extra']}"
                           + ("  (unreliable text)" if r["unreliable"] else ""))
        return
    if fmt == "csv":
        raise click.UsageError("--csv goes with --top; for one document use --json")
    r = compare.Stored(datadir, live=True).deviation(doc)
    if fmt == "json":
        emit_json(r)
        return
    b = r["baseline"]
    click.echo(f"{r['document']['file_name']}: deviation {r['deviation']:.3f} from the {b['model']} {b['era']} "
               f"{b['source']} ({b['agreements']} agreements)")
    for s in r["sections"]:
        click.echo(f"\n## {s['slot']}  {s['title'] or ''}  [{s['status']}, similarity {s['similarity']:.3f}]")
        if s["status"] == "changed":
            click.echo(compare.redline_text(s["redline"], material_only=True))


@main.command("variants")
@click.argument("section_key", required=False)
@click.option("--model", required=True, help="Program model: JEM, TFM, TTFM or WSO.")
@click.option("--era", help="Only agreements of this era (2019-2020, 2025).")
@click.option("--list", "list_keys", is_flag=True, help="List the section keys of this model instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV on stdout (one row per agreement).")
@pass_datadir
@friendly_errors
def variants_cmd(datadir: DataDir, section_key: str | None, model: str, era: str | None, list_keys: bool,
                 as_json: bool, as_csv: bool) -> None:
    """One section (e.g. civil-rights) across all agreements of a model, grouped into variants."""
    from archive import compare
    fmt = _output_format(as_json, as_csv)
    if list_keys or not section_key:
        rows = compare.Stored(datadir, live=True).section_keys(model, era)
        if fmt == "json":
            emit_json(rows)
        elif fmt == "csv":
            emit_csv(rows)
        else:
            for r in rows:
                click.echo(f"{r['key']:<28} {r['agreements']:>4}  {r['title']}")
        return
    r = compare.Stored(datadir, live=True).variants(section_key, model, era)
    if fmt == "json":
        emit_json(r)
    elif fmt == "csv":
        emit_csv(compare.variants_table(r))
    else:
        click.echo(f"{r['key']} in {r['model']} {r['era'] or 'all eras'}: {r['with_section']} of "
                   f"{r['agreements']} agreements have it; {len(r['variants'])} variant(s)")
        for v in r["variants"]:
            who = ", ".join(f"{m['agency'] or m['file_name']} ({m['signed'] or '?'})" for m in v["members"])
            click.echo(f"\n## variant {v['variant']}: {v['count']} agreement(s), {v['chars']} chars, "
                       f"similarity to majority {v['similarity_to_majority']:.3f}\n   {who}")
            if "redline" in v:
                click.echo(compare.redline_text(v["redline"], material_only=True))


@main.command("models")
@click.option("--era", default="2025", show_default=True, help="Era of the baselines (2019-2020, 2025).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout (with the baseline texts).")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV on stdout (one row per section and model).")
@pass_datadir
@friendly_errors
def models_cmd(datadir: DataDir, era: str, as_json: bool, as_csv: bool) -> None:
    """The baselines of the models (JEM, TFM, TTFM, WSO) side by side by canonical section."""
    from archive import compare
    fmt = _output_format(as_json, as_csv)
    r = compare.Stored(datadir, live=True).models(era)
    if fmt == "json":
        emit_json(r)
    elif fmt == "csv":
        emit_csv(compare.models_table(r))
    else:
        names = list(r["models"])
        click.echo(f"{'section':<28}" + "".join(f"{m:>8}" for m in names) + "   similarity")
        for s in r["sections"]:
            chars = "".join(f"{s['models'][m]['chars'] if m in s['models'] else '-':>8}" for m in names)
            sims = ", ".join(f"{k} {v:.2f}" for k, v in s["similarity"].items())
            click.echo(f"{s['slot']:<28}{chars}   {sims}")


if __name__ == "__main__":
    sys.exit(main())
