"""Which project a server works on: ``AIMEM_PROJECT``, then the client's roots, then the server's
cwd, resolved once; an explicit ``project`` argument always wins. Each case is a real
``aimem mcp`` subprocess started from ``/`` (as an agent may start it), with only ``AIMEM_HOME``
(and a throwaway ``HOME``) in its environment."""

from __future__ import annotations

from pathlib import Path

from mcp_harness import McpServer, World, result_text

from aimem.project import slugify


def bare_env(world: World, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Only the data root; HOME points at an empty folder so no user config is read."""
    (tmp_path / "home").mkdir(exist_ok=True)
    return {"AIMEM_HOME": str(world.home), "HOME": str(tmp_path / "home"), **extra}


def test_from_root_without_roots_every_call_needs_a_project(world: World, tmp_path: Path) -> None:
    with McpServer(bare_env(world, tmp_path), "/", tmp_path / "err", mode="auto") as server:
        text = server.error("memory_query", query="YAML anchors")
        assert "not inside a project" in text and "Pass `project`" in text
        assert world.slug in text  # the known projects are listed, so the model can pick one
        by_slug = server.ok("memory_query", query="YAML anchors", project=world.slug)
        assert by_slug["project"] == world.slug and by_slug["results"]
        by_path = server.ok("memory_recent", project=str(world.project / "src"))
        assert by_path["project"] == world.slug
        assert "unknown project" in server.error("memory_recent", project="/no/such/folder")
        assert "not inside a project" in server.error(
            "memory_write_page", type="rule", title="Nowhere", body="x"
        )
    assert (tmp_path / "err").read_text() == ""


def test_client_roots_choose_the_project(world: World, tmp_path: Path) -> None:
    roots = [str(world.project)]
    env = bare_env(world, tmp_path)
    with McpServer(env, "/", tmp_path / "err", mode="legacy", roots=roots) as server:
        data = server.ok("memory_query", query="YAML anchors")
        assert data["project"] == world.slug and data["results"]
        assert server.ok("memory_lint")["project"] == world.slug


def test_aimem_project_wins_over_roots_and_cwd(world: World, tmp_path: Path) -> None:
    env = bare_env(world, tmp_path, AIMEM_PROJECT="team-notes")
    slug = slugify("team-notes", "name:team-notes")
    roots = [str(world.project)]
    with McpServer(env, str(world.project), tmp_path / "err", "legacy", roots) as server:
        # No memory yet under that name: reads say so, the first write creates it.
        assert "no memory recorded yet for project 'team-notes'" in server.error(
            "memory_query", query="anything"
        )
        made = server.ok(
            "memory_write_page", type="concept", title="Team notes", body="Shared by name."
        )
        assert made["project"] == slug and made["action"] == "created"
        found = server.ok("memory_query", query="shared by name")
        assert found["project"] == slug and found["results"][0]["path"] == made["path"]
        assert server.ok("memory_query", query="YAML anchors")["results"] == []
        other = server.ok("memory_query", query="YAML anchors", project=world.slug)
        assert other["results"]
        text = result_text(server.call("memory_recent"))
        assert slug in text
    assert (world.home / "projects" / slug / "project.json").is_file()
