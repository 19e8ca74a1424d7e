"""The ``bitaqa`` command: one entry point, one module per sub-command.

Each sub-command lives in its own module and exposes ``main(argv: list[str]) -> int``; this file
only dispatches, importing the chosen module lazily so that ``bitaqa vcard`` never loads Qt and
``bitaqa doctor`` never opens a socket it does not need.
"""

from __future__ import annotations

import importlib
import sys

__all__ = ["main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "agent": ("bitaqa.agent.command", "run the agent (tray, WebSocket server, card access)"),
    "vcard": ("bitaqa.vcard.command", "run the virtual PIV card against pcscd's vpcd driver"),
    "pki": ("bitaqa.vcard.pki_command", "create the test PKI and card profiles"),
    "doctor": ("bitaqa.agent.doctor", "check this machine's set-up and explain what is wrong"),
    "demo": ("bitaqa.demo", "run the virtual card, the agent and the example portal together"),
}


def _usage() -> str:
    lines = ["usage: bitaqa <command> [options]", "", "commands:"]
    lines += [f"  {name:<8} {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "Run 'bitaqa <command> --help' for the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the sub-command named by ``argv[0]`` and return its exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"bitaqa: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest))


if __name__ == "__main__":
    sys.exit(main())
