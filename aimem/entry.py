"""Console-script entry point.

``aimem hook`` is dispatched before anything heavy is imported: typer alone makes a hook ~8x
slower (measured in shared/reference/python-deps.md). A bare ``aimem mcp`` goes straight to the
server too. Everything else goes to the typer app.
"""

from __future__ import annotations

import sys


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "hook":
        from aimem.capture.hook import main as hook_main

        return hook_main(sys.argv[2:])
    if sys.argv[1:] == ["mcp"]:
        # How agents start the server: skip building the typer app (~40-100 ms of a ~1 s start,
        # see tests/bench/bench_mcp.py). `aimem mcp --help` still goes through typer.
        from aimem.mcp.server import serve

        return serve()
    from aimem.cli.app import run

    return run()


if __name__ == "__main__":
    sys.exit(main())
