"""`moa`: the command line. Each command parses options, calls one library function,
prints. Settings: option, else environment variable, else default (archive.config)."""
from __future__ import annotations

import functools
import json
import sys

import click

from archive import config
from archive.errors import MoaError
from archive.progress import NullProgress, StderrProgress
from store.datadir import DataDir


def emit_json(obj) -> None:
    """Machine output: one JSON document on stdout."""
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


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


# --- read (issue #3) -------------------------------------------------------------


# --- sections and facts (issue #4) -----------------------------------------------


# --- index and search (issue #5) -------------------------------------------------


# --- web (issue #6) --------------------------------------------------------------


# --- compare (issue #7) ----------------------------------------------------------


if __name__ == "__main__":
    sys.exit(main())
