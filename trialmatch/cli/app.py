"""The `trialmatch` command: a thin typer app and the single error / exit-code boundary.

Exit codes (DESIGN 2.4): 0 success, 1 check failed, 2 usage or invalid input, 3 partial
batch failure, 4 internal error (traceback only with --debug).
"""

from __future__ import annotations

import errno
import importlib
import sys

import typer

from trialmatch.errors import EXIT_INTERNAL, EXIT_USAGE, TrialmatchError

app = typer.Typer(
    name="trialmatch", add_completion=False, no_args_is_help=True,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Match cancer patients to clinical trials, ranked and explained.")
_state = {"debug": False}
# command name -> the module whose `register(app)` adds it
COMMANDS = {"find": "find_cmd", "check": "check_cmd", "parse": "parse_cmd",
            "load": "load_cmd", "explain": "explain_cmd", "ontology": "ontology_cmd",
            "bulk": "bulk_cmd", "sync": "sync_cmd", "export": "export_cmd",
            "convert": "convert_cmd"}
_registered: set[str] = set()


def _exits() -> tuple[type[BaseException], ...]:
    """typer's Exit, and click's when something imported click (typer carries its own)."""
    click = sys.modules.get("click")
    return (typer.Exit, click.exceptions.Exit) if click else (typer.Exit,)


def _aborts() -> tuple[type[BaseException], ...]:
    click = sys.modules.get("click")
    return (typer.Abort, click.exceptions.Abort) if click else (typer.Abort,)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks of internal "
                                     "errors.")) -> None:
    _state["debug"] = debug


def _command_name(args: list[str]) -> str | None:
    """The command that `args` names (the first word that is not an option), if any."""
    return next((a for a in args if not a.startswith("-")), None)


def _register(args: list[str] | None = None) -> None:
    """Add the command `args` names to the app, or every command (for --help, no command or
    an unknown one), so that a command imports only the modules it uses. A command module
    that cannot be imported is an error, never a command silently missing."""
    name = _command_name(args or [])
    wanted = [COMMANDS[name]] if name in COMMANDS else list(COMMANDS.values())
    for module_name in wanted:
        if module_name not in _registered:
            module = importlib.import_module(f"trialmatch.cli.{module_name}")
            module.register(app)
            _registered.add(module_name)


def _unexpected(exc: Exception) -> int:
    """A usage error of the argument parser (exit 2), or a bug (exit 4, no patient data)."""
    from trialmatch.cli.output import error

    if hasattr(exc, "show") and hasattr(exc, "exit_code"):
        exc.show()
        return EXIT_USAGE
    if type(exc).__module__.startswith(("duckdb", "_duckdb")):
        from trialmatch.store.db import corrupt_message, is_corrupt_error

        if is_corrupt_error(exc):  # found while reading, after the file opened fine
            error(corrupt_message(None))
            return EXIT_USAGE
    if _state["debug"]:
        import traceback

        traceback.print_exc()
    error(f"internal error ({type(exc).__name__}); this is a bug. Run again with "
          "--debug for the traceback.")
    return EXIT_INTERNAL


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so that a run in progress is marked as ended."""


def _on_sigterm(signum: int, frame: object) -> None:
    _state["terminated"] = True
    raise Terminated()


class StdoutError(Exception):
    """Standard output refused data (a full disk, a closed pipe); `errno` says which."""

    def __init__(self, exc: OSError) -> None:
        super().__init__(exc.strerror or type(exc).__name__)
        self.errno = exc.errno


class _GuardedStdout:
    """sys.stdout, with its write failures told apart from every other OSError."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise StdoutError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise StdoutError(exc) from None

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail a second time."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns (and exits with) the documented exit code."""
    from trialmatch.cli.output import error

    args = sys.argv[1:] if argv is None else argv
    _register(args)
    _state["debug"] = "--debug" in args
    if argv is None:
        import signal

        signal.signal(signal.SIGTERM, _on_sigterm)
    real_stdout = sys.stdout
    sys.stdout = _GuardedStdout(real_stdout)
    try:
        code = app(args=args, prog_name="trialmatch", standalone_mode=False)
        code = code if isinstance(code, int) else 0
        if _state.get("terminated"):  # typer returns 130 for any interruption
            error("terminated")
            code = 143
        sys.stdout.flush()
    except _exits() as exc:  # evaluated when an exception is raised
        # typer's Exit or click's: unrelated classes, both with an int exit_code
        code = exc.exit_code  # type: ignore[attr-defined]
    except (KeyboardInterrupt,) + _aborts():
        terminated = _state.get("terminated", False)
        error("terminated" if terminated else "interrupted")
        code = 143 if terminated else 130
    except TrialmatchError as exc:
        error(str(exc))
        code = exc.exit_code
    except StdoutError as exc:
        sys.stdout = real_stdout
        _silence_stdout()
        if exc.errno == errno.EPIPE:  # the reader went away (`| head`): stop quietly
            code = 0
        else:
            error(f"cannot write to standard output ({exc})")
            code = EXIT_USAGE
    except BrokenPipeError:
        _silence_stdout()
        code = 0
    except Exception as exc:  # the boundary: anything else is a bug
        code = _unexpected(exc)
    finally:
        sys.stdout = real_stdout
    if argv is None:
        sys.exit(code)
    return code
