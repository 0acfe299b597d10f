"""``moonbase``: the command-line entry point.

Each area registers a typer sub-application in its own module (``moonbase.cli.sky`` and so on).
User mistakes raise :class:`moonbase.errors.InputError`; :func:`main` prints them as one line,
``moonbase: error: <field>: <message>``, and exits with status 2, never with a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module

import typer
from typer.exceptions import Abort, Exit, TyperException

from moonbase.errors import DataError, InputError
from moonbase.extras import MissingExtraError

app = typer.Typer(
    name="moonbase",
    help="Plan, build and run a multi-national lunar research station.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: (module under moonbase.cli, attribute, how it is added) for each command or command group.
_COMMANDS = (
    ("sky", "sky", "command"),
    ("run", "run", "command"),
    ("study", "study", "command"),
    ("risk", "risk", "command"),
    ("campaign", "app", "group"),
    ("science", "app", "group"),
    ("simulate", "app", "group"),
    ("serve", "serve", "command"),
    ("scenario", "app", "group"),
    ("site", "app", "group"),
    ("orbit", "app", "group"),
    ("data", "app", "group"),
)


def _register() -> None:
    for module_name, attribute, kind in _COMMANDS:
        module = import_module(f"moonbase.cli.{module_name}")
        target = getattr(module, attribute)
        if kind == "command":
            app.command(name=module_name)(target)
        else:
            app.add_typer(target, name=module_name)


_register()


def _fail(message: str) -> int:
    print(f"moonbase: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        result = app(args=args, prog_name="moonbase", standalone_mode=False)
    except InputError as error:
        return _fail(error.one_line())
    except (DataError, MissingExtraError) as error:
        return _fail(str(error))
    except Exit as done:
        return done.exit_code
    except TyperException as error:
        if type(error).__name__ == "NoArgsIsHelpError":
            print(error.format_message())
            return 0
        return _fail(" ".join(error.format_message().split()))
    except Abort:
        return _fail("aborted")
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
