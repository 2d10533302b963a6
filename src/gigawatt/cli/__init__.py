"""The command line: the only place with I/O, printing, progress bars and exit codes.

Each command lives in its own module (``catalog_cmd``, ``train_cmd`` …) and is registered
on the one typer ``app`` here. Command modules import the heavy layers (numpy, pandas,
linopy, plotly) inside the command function, so start-up stays fast.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ..errors import GigawattError

app = typer.Typer(
    name="gigawatt",
    help="Plan, simulate and stress-test gigawatt-scale AI supercomputers.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"gigawatt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Plan, simulate and stress-test gigawatt-scale AI supercomputers."""


def _register() -> None:
    from . import catalog_cmd, scenario_cmd  # noqa: F401  (commands register on import)

    for name in ("train_cmd", "serve_cmd", "size_cmd", "plan_cmd", "simulate_cmd", "risk_cmd",
                 "frontier_cmd", "finance_cmd", "app_cmd"):
        try:
            __import__(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # a layer not built yet
            if exc.name != f"{__name__}.{name}":
                raise


_register()


def _usage_errors() -> tuple[type[BaseException], ...]:
    """Click's usage-error base class, wherever this typer version keeps click."""
    found = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(name).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _exit_types(attr: str) -> tuple[type[BaseException], ...]:
    found = [getattr(typer, attr)]
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(getattr(importlib.import_module(name), attr))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def command() -> object:
    """The click command of the app, every numeric option bounded (cli/options.py)."""
    from .options import bound_numbers

    return bound_numbers(typer.main.get_command(app))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one message and exit code 2."""
    try:
        code = command()(args=argv, standalone_mode=False)
    except KeyboardInterrupt:
        code = 130
    except GigawattError as exc:
        print(f"error: {exc.render()}", file=sys.stderr)
        problems = getattr(exc, "problems", None)
        if problems and len(problems) > 1:
            for p in problems[:20]:
                print(f"  - {p}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except _exit_types("Abort"):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except _usage_errors() as exc:
        exc.show()  # usage line and one message, no traceback
        sys.exit(2)
    except _exit_types("Exit") as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except BrokenPipeError:
        sys.exit(0)
    # typer turns Ctrl-C into Exit(130) and, outside standalone mode, returns the code
    if code == 130:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) and not isinstance(code, bool) else 0)
