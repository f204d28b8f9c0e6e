"""The ``seedpool`` command (also ``python -m seedpool``).

Subcommands live in their own modules and are imported only when used::

    seedpool demo                      ->  seedpool._cli.demo.main
    seedpool run [...] -- cmd ...      ->  seedpool._cli.run.main_run
    seedpool check [...] -- cmd ...    ->  seedpool._cli.run.main_check
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Optional

__all__ = ["main"]

_COMMANDS = {
    "demo": ("seedpool._cli.demo", "main", "show the fork/seed bugs and the fix with real worker processes (--tensorflow: TF too)"),
    "run": ("seedpool._cli.run", "main_run", "run a script with every RNG seeded and the seed propagated to child processes"),
    "check": ("seedpool._cli.run", "main_check", "run a script several times and report whether its outputs match"),
}


def _usage() -> str:
    lines = ["usage: seedpool COMMAND [ARGS...]", "", "commands:"]
    lines += [f"  {name:<7} {help_}" for name, (_, _, help_) in _COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point of the ``seedpool`` console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in _COMMANDS:
        print(f"seedpool: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module, func, _ = _COMMANDS[name]
    return int(getattr(importlib.import_module(module), func)(rest) or 0)
