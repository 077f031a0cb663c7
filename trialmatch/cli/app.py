"""The `trialmatch` command: a thin typer app and the single error / exit-code boundary.

Exit codes (DESIGN 2.4): 0 success, 1 check failed, 2 usage or invalid input, 3 partial
batch failure, 4 internal error (traceback only with --debug).
"""

from __future__ import annotations

import sys

import click
import typer

from trialmatch.errors import EXIT_INTERNAL, EXIT_USAGE, TrialmatchError

app = typer.Typer(
    name="trialmatch", add_completion=False, no_args_is_help=True,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Match cancer patients to clinical trials, ranked and explained.")
_state = {"debug": False}
_EXITS = tuple({typer.Exit, click.exceptions.Exit})
_ABORTS = tuple({typer.Abort, click.exceptions.Abort})


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal "
                                     "errors.")) -> None:
    _state["debug"] = debug


def _register() -> None:
    from trialmatch.cli import find_cmd

    find_cmd.register(app)
    for name in ("check_cmd", "parse_cmd", "load_cmd", "explain_cmd", "ontology_cmd",
                 "bulk_cmd", "sync_cmd", "export_cmd", "convert_cmd"):
        try:
            module = __import__(f"trialmatch.cli.{name}", fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name != f"trialmatch.cli.{name}":
                raise
            continue
        module.register(app)


def _unexpected(exc: Exception) -> int:
    """A usage error of the argument parser (exit 2), or a bug (exit 4, no patient data)."""
    from trialmatch.cli.output import error

    if hasattr(exc, "show") and hasattr(exc, "exit_code"):
        exc.show()
        return EXIT_USAGE
    if _state["debug"]:
        import traceback

        traceback.print_exc()
    error(f"internal error ({type(exc).__name__}); this is a bug. Run again with "
          "--debug for the traceback.")
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the documented exit code."""
    from trialmatch.cli.output import error

    _register()
    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        code = app(args=args, prog_name="trialmatch", standalone_mode=False)
        code = code if isinstance(code, int) else 0
    except _EXITS as exc:
        code = exc.exit_code
    except (KeyboardInterrupt, *_ABORTS):
        error("interrupted")
        code = 130
    except TrialmatchError as exc:
        error(str(exc))
        code = exc.exit_code
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # the boundary: anything else is a bug
        code = _unexpected(exc)
    if argv is None:
        sys.exit(code)
    return code
