"""``aimem backup`` and ``aimem restore``: every project of the data root in one archive."""

from __future__ import annotations

import typer

from aimem.cli.context import PANEL_WRITE, CliError, examples, print_json, settings


def register(app: typer.Typer) -> None:
    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem backup ~/aimem-2026-12-01.tar.gz",
            "aimem backup mem.tar.gz --project myapp-3f9c1a2b --json",
        ),
    )
    def backup(
        file: str = typer.Argument(
            ..., metavar="FILE", help="The archive to write (replaced whole)."
        ),
        project: list[str] = typer.Option(  # noqa: B008 - typer's way to declare a list
            None, "--project", "-p", metavar="SLUG", help="Only this project (repeatable)."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Write every project's memory to one archive: a git bundle of each wiki (stock `git
        bundle verify` and `git clone` accept it), the journals and a manifest of checksums."""
        from aimem.admin.backup import BackupError
        from aimem.admin.backup import backup as run_backup

        try:
            result = run_backup(settings().home, file, list(project) if project else None)
        except BackupError as exc:
            raise CliError(str(exc)) from None
        if json_out:
            print_json(result.as_dict())
            return
        for entry in result.projects:
            head = (entry.head or "no commit")[:12]
            typer.echo(f"{entry.slug}: wiki at {head}, {entry.journals} journals")
        typer.echo(f"wrote {result.path} ({result.bytes:,} bytes)")

    @app.command(
        rich_help_panel=PANEL_WRITE,
        epilog=examples(
            "aimem restore ~/aimem-2026-12-01.tar.gz  # into an empty data root",
            "AIMEM_HOME=/tmp/check aimem restore mem.tar.gz --json",
            "aimem restore laptop.tar.gz --merge      # into the memory already here",
        ),
    )
    def restore(
        file: str = typer.Argument(..., metavar="FILE", help="An archive `aimem backup` wrote."),
        merge: bool = typer.Option(
            False, "--merge", help="Merge into projects already here (as a sync would)."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    ) -> None:
        """Restore a backup: every checksum checked first, each history read back whole, the
        index rebuilt. A project that already exists here is refused (nothing written), unless
        --merge: then the backup is merged into it like a remote's copy (no page lost)."""
        from aimem.admin.backup import BackupError
        from aimem.admin.backup import restore as run_restore

        try:
            result = run_restore(settings().home, file, merge=merge)
        except BackupError as exc:
            raise CliError(str(exc)) from None
        if json_out:
            print_json(result.as_dict())
            return
        for entry in result.projects:
            into = result.merged.get(entry.slug)
            done = f"merged {entry.slug} into {into}" if into else f"restored {entry.slug}"
            typer.echo(f"{done} ({entry.name})")
        typer.echo(f"{result.objects:,} objects read back, {result.journals} journals")
