"""The ``persona`` command: a thin shell over the library.

Each command group lives in its own module and only parses arguments, calls a
library function and prints the result. Errors become messages in exactly one
place, :func:`main`.
"""

from __future__ import annotations

import os
import sys

import typer

# Each command module adds its commands to ``app`` when imported.
import persona.cli.churn
import persona.cli.demo
import persona.cli.docs
import persona.cli.doctor
import persona.cli.generate
import persona.cli.interview
import persona.cli.refresh
import persona.cli.research
import persona.cli.segment
import persona.cli.ui
import persona.cli.value  # noqa: F401
from persona.cli._app import app, console
from persona.errors import USER_ERRORS

__all__ = ["app", "main"]


# LangChain would send every prompt (segment statistics, document excerpts) to LangSmith
# if these were set; customer-derived data must not leave the machine by a side door.
_TRACING_VARIABLES = ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_GATEWAY")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``persona`` console script; returns the exit code."""
    for variable in _TRACING_VARIABLES:
        os.environ.pop(variable, None)
    try:
        result = app(args=argv, standalone_mode=False)
    except USER_ERRORS as error:
        console.print(f"[bold red]Error:[/] {error}", highlight=False)
        return 1
    except typer.Abort:
        console.print("Aborted.")
        return 130
    except typer.Exit as stop:
        return stop.exit_code
    except typer.TyperException as error:
        # Typer (>= 0.26) vendors Click: usage errors (unknown command or option, a missing
        # argument) are TyperExceptions now, not click.ClickException; `show` prints the
        # usage line and the message, without a traceback.
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            console.print(f"[bold red]Error:[/] {error.format_message()}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        console.print("Interrupted.")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
