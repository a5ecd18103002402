"""Progress bars for long work (reindex, lint, sweep, ...), on stderr and only on a terminal.

Library functions take an optional ``progress(done, total)`` callback and know nothing of rich;
the CLI passes the callback from ``progress_bar``. When stderr is not a terminal (a pipe, a log
file, a timer, an agent running the command) the callback does nothing, so scripted output and
logs stay free of control characters.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Progress = Callable[[int, int | None], None]


def _ignore(done: int, total: int | None) -> None:
    """The callback when nobody is watching."""


@contextmanager
def progress_bar(label: str, stream=None) -> Iterator[Progress]:  # noqa: ANN001 - a text stream
    """Yield ``advance(done, total)`` drawing a transient bar labelled ``label`` on ``stream``
    (stderr); ``total=None`` draws a pulsing bar for work of unknown size. The bar is erased
    when the block ends, so only the command's own result stays on the screen."""
    stream = sys.stderr if stream is None else stream
    if not _is_terminal(stream):
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    console = Console(file=stream)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _is_terminal(stream) -> bool:  # noqa: ANN001 - a text stream
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or closed
        return False
