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
    """Tabular machine output: CSV with a header row on stdout. Columns: *columns* (rows are
    then streamed), else the union of the rows' keys."""
    import csv
    if columns is None:
        rows = list(rows)
        columns = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)


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
    result = import_paths(datadir, list(paths), progress=progress_for("import", as_json))
    if as_json:
        emit_json(result.to_dict())
    else:
        click.echo(f"imported {result.files} file(s): {result.documents} PDF(s), {result.rosters} "
                   f"roster(s) ({result.new_snapshots} new snapshot(s)), {result.new_files} new file(s)")
        for e in result.errors:
            click.echo(f"error: {e.path}: {e.reason}", err=True)
    if result.errors and not result.files:
        sys.exit(1)


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
    ]
    for option in reversed(options):
        f = option(f)
    return f


def harvest_settings(source_url, allow_hosts, delay, timeout, retries, max_bytes, user_agent) -> config.HarvestSettings:
    import os
    extra = tuple(allow_hosts) + tuple(os.environ.get("MOA_ALLOW_HOSTS", "").split(","))
    return config.HarvestSettings(source_url=source_url, delay=delay, timeout=timeout, retries=retries,
                                  max_bytes=max_bytes, user_agent=user_agent, extra_hosts=extra)


def print_harvest(result) -> None:
    click.echo(f"harvest of {result.source_url}: {result.status}; {result.requests} request(s), "
               f"{result.bytes} byte(s); {result.new_files} new file(s), {result.new_versions} new "
               f"version(s), {result.not_modified + result.unchanged} unchanged, {result.new_snapshots} new "
               f"roster snapshot(s), {len(result.failures)} failure(s)")
    others = [f for f in result.failures if f.status != 404]
    for f in others[:20]:
        click.echo(f"  failed {f.purpose} {f.url}: {f.reason}", err=True)
    if len(others) > 20:
        click.echo(f"  ... and {len(others) - 20} more (see `moa status --json`)", err=True)
    if len(others) < len(result.failures):
        click.echo(f"  {len(result.failures) - len(others)} linked file(s) answered 404 (ICE lists them "
                   "but does not publish them; see `moa status --json`)", err=True)
    if result.status == "failed":
        click.echo(f"error: nothing could be fetched from {result.source_url}; ICE may be unreachable "
                   "or refusing this client (see above). The archive is unchanged.", err=True)


@main.command()
@harvest_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def harvest(datadir: DataDir, as_json: bool, **options) -> None:
    """Fetch ICE's 287(g) rosters, MOAs, addenda, templates and archived MOAs."""
    from archive.harvest.run import harvest as run_harvest
    result = run_harvest(datadir, harvest_settings(**options), progress=progress_for("harvest", as_json))
    emit_json(result.to_dict()) if as_json else print_harvest(result)
    if result.status == "failed":
        sys.exit(1)


@main.command()
@harvest_options
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for reading pages.")
@click.option("--force", is_flag=True, help="Re-run every stage on every document.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@pass_datadir
@friendly_errors
def update(datadir: DataDir, workers, force, as_json, **options) -> None:
    """Harvest, then read, structure and index what is new. If ICE cannot be reached,
    what the archive holds is still processed, and the exit code is 1."""
    from archive.harvest.run import harvest as run_harvest
    from archive.pipeline import process
    result = run_harvest(datadir, harvest_settings(**options), progress=progress_for("harvest", as_json))
    if not as_json:
        print_harvest(result)
    summary = process(datadir, workers=workers, force=force,
                      progress=lambda label: progress_for(label, as_json))
    if as_json:
        emit_json({"harvest": result.to_dict(), "process": summary})
    if result.status == "failed":
        sys.exit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
@pass_datadir
@friendly_errors
def status(datadir: DataDir, as_json: bool) -> None:
    """What the archive holds, and what failed."""
    from archive.status import status as get_status
    s = get_status(datadir)
    if as_json:
        return emit_json(s)
    by = lambda d: ", ".join(f"{k or '?'} {v}" for k, v in d.items()) or "none"  # noqa: E731
    last = s["last_harvest"]
    click.echo(f"agreements: {s['agreements']} ({by(s['agreements_by_status'])}); current by model: "
               f"{by(s['agreements_by_model'])}; {s['pending_links']} with link pending")
    click.echo(f"documents: {s['documents']} ({by(s['documents_by_kind'])}), {s['unlinked_documents']} "
               f"not linked to a roster agreement; {s['versions']} version(s) of {s['files']} file(s), "
               f"{s['bytes']} bytes; roster snapshots: {by(s['roster_snapshots'])}")
    click.echo("last harvest: " + (f"{last['started_at']} {last['status']}" if last else "never"))
    click.echo(f"failures: {s['failures']}")
    lines = [f"  reading {f['file_name'] or f['sha256']}: {f['error']}" for f in s["failed_documents"]]
    lines += [f"  fetch {f['url']}: {f['error']}" for f in s["fetch_failures"] if f["status"] != 404]
    for line in lines[:20]:
        click.echo(line)
    if len(lines) > 20:
        click.echo(f"  ... and {len(lines) - 20} more (see `moa status --json`)")
    not_found = sum(f["status"] == 404 for f in s["fetch_failures"])
    if not_found:
        click.echo(f"  {not_found} linked file(s) answered 404 (see `moa status --json`)")


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@pass_datadir
@friendly_errors
def export(datadir: DataDir, fmt: str) -> None:
    """One row per stored document, with its provenance, on stdout."""
    from archive.status import EXPORT_COLUMNS, export_rows
    if fmt == "csv":
        emit_csv(export_rows(datadir), EXPORT_COLUMNS)
    else:
        for row in export_rows(datadir):
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
        return emit_json(s)
    click.echo(f"read {s['ok']} document(s), {s['failed']} failed; {s['pages']} page(s): "
               f"{s['text_pages']} from the text layer, {s['ocr_pages']} OCR'd "
               f"({s['ocr_failed_pages']} OCR failure(s)); {s['form_fields']} form value(s); "
               f"{s['seconds']} s")
    for f in s["failures"]:
        click.echo(f"failed: {f['error']}", err=True)


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
        click.echo(f"\n--- page {p.page}  method {p.method}  text layer {p.text_layer_quality}{conf}{ocr_state}")
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
        emit_json(result)
        return
    state = "complete" if result["complete"] else "incomplete: " + "; ".join(result["problems"])
    click.echo(f"{result['sha256']}  layout {result['layout']}  {state}")
    for s in result["sections"]:
        indent = "    " if s["parent"] else ""
        pages = f"p. {s['first_page']}" + (f"-{s['last_page']}" if s["last_page"] != s["first_page"] else "")
        click.echo(f"{indent}{s['number'] or '':<11} {s['title'] or '':<58} {s['key']:<26} {pages}")


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
        emit_json(result)
        return
    for name, values in result["facts"].items():
        for v in values:
            click.echo(f"{name:<17} {v['value']}  (p. {v['page'] if v['page'] is not None else '?'})")



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
    query: moa search immigration -warrant (or after --: moa search -- -warrant)."""
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


# --- web (issue #6) --------------------------------------------------------------

@main.command()
@click.option("--host", envvar="MOA_HOST", default="127.0.0.1", show_default=True,
              help="Address to listen on (env MOA_HOST); 0.0.0.0 for every interface.")
@click.option("--port", envvar="MOA_PORT", default=8287, show_default=True, type=int,
              help="Port to listen on (env MOA_PORT).")
@click.option("--threads", envvar="MOA_THREADS", default=4, show_default=True,
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
@pass_datadir
@friendly_errors
def deviation_cmd(datadir: DataDir, doc: str | None, top: int | None, model: str | None, era: str | None,
                  as_json: bool, as_csv: bool) -> None:
    """DOC against its model's baseline (template, else consensus), or the --top N that depart most."""
    from archive import compare
    fmt = _output_format(as_json, as_csv)
    if bool(doc) == bool(top):
        raise click.UsageError("give either DOC or --top N")
    if top:
        rows = compare.top_deviations(datadir, top, model=model, era=era,
                                      progress=progress_for("deviation", fmt != "text"))
        if fmt == "json":
            emit_json(rows)
        elif fmt == "csv":
            emit_csv(compare.deviation_table(rows))
        else:
            for r in rows:
                click.echo(f"{r['deviation']:.3f}  {r['model']:<4} {r['era']:<9} {r['file_name']}  "
                           f"changed {r['changed']}, missing {r['missing']}, extra {r['extra']}")
        return
    if fmt == "csv":
        raise click.UsageError("--csv goes with --top; for one document use --json")
    r = compare.deviation(datadir, doc)
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
        rows = compare.section_keys(datadir, model, era)
        if fmt == "json":
            emit_json(rows)
        elif fmt == "csv":
            emit_csv(rows)
        else:
            for r in rows:
                click.echo(f"{r['key']:<28} {r['agreements']:>4}  {r['title']}")
        return
    r = compare.variants(datadir, section_key, model, era)
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
    r = compare.models(datadir, era)
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
