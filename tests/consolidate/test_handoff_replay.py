"""The handoff through the real hooks: recorded Claude Code and Codex payloads, one hook process
per event, the consolidation each SessionEnd starts. A "thanks, that's all" session keeps the open
question and next step for the next agent; a file made by a shell command is listed as changed."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from replay import context_of, payload, retarget, run_aimem, run_hook, wait_all_consolidated

from aimem.consolidate.changes import BEFORE_SLACK

QUESTION = "are partial refunds allowed below one cent?"
STEP = "write the rounding tests"


def hook_event(agent: str, event: str, cwd: Path, session: str, env: dict, **fields: object):  # noqa: ANN201
    data = retarget(payload(agent, event), cwd=str(cwd), session=session)
    data.update(fields)
    done = run_hook(agent, event, data, env)
    assert done.returncode == 0 and done.stderr == b"", done.stderr
    return done


def test_thanks_follow_up_keeps_the_open_items_for_the_next_agent(env: dict, project: Path) -> None:
    rich, thanks, nxt = (f"0b7e{n}d00-1111-4222-8333-44445555666{n}" for n in range(3))
    # A session that works through Bash only (no Edit/Write tool) and writes down what is open.
    hook_event("claude-code", "SessionStart", project, rich, env)
    hook_event("claude-code", "UserPromptSubmit", project, rich, env, prompt="Add partial refunds")
    command = "printf 'CENTS = 100\\n' > src/app/money.py"
    tool = {"tool_input": {"command": command, "description": "write money.py"}}
    hook_event("claude-code", "PreToolUse", project, rich, env, **tool)
    subprocess.run(["sh", "-c", command], cwd=project, check=True)  # what the Bash tool ran
    hook_event("claude-code", "PostToolUse", project, rich, env, **tool)
    answer = (
        f"Refunds work.\n\nOpen question: {QUESTION}\nNext step: {STEP}\n"
        "Decision: money is integer cents."
    )
    hook_event("claude-code", "Stop", project, rich, env, last_assistant_message=answer)
    hook_event("claude-code", "SessionEnd", project, rich, env)
    wait_all_consolidated(env, project, 1)
    wiki = json.loads(run_aimem("status", "--json", env=env, cwd=str(project)).stdout)["wiki"]
    decision = Path(wiki, "decisions", "money-is-integer-cents.md").read_text()
    assert "type: decision" in decision and rich in decision  # its page, naming its session
    # Sessions are not less than a second apart: the file the rich session left uncommitted
    # must not count as changed by the next one (``changes.BEFORE_SLACK``).
    time.sleep(BEFORE_SLACK + 0.2)

    # "thanks, that's all": no tool use, a short answer. It sees the rich handoff first,
    # with the file the shell made listed as changed.
    start = context_of(hook_event("claude-code", "SessionStart", project, thanks, env).stdout)
    assert "`src/app/money.py`" in start.split("## Files changed", 1)[1]
    assert QUESTION in start and STEP in start
    hook_event("claude-code", "UserPromptSubmit", project, thanks, env, prompt="thanks, that's all")
    hook_event(
        "claude-code", "Stop", project, thanks, env, last_assistant_message="You're welcome!"
    )
    hook_event("claude-code", "SessionEnd", project, thanks, env)
    wait_all_consolidated(env, project, 2)

    # The next agent (Codex) gets the thanks session's handoff: the open question, the next
    # step, and the rich session's summary are all still there.
    context = context_of(hook_event("codex", "SessionStart", project, nxt, env).stdout)
    fenced = context.split("<aimem-handoff>", 1)[1].split("</aimem-handoff>", 1)[0]
    assert "Handoff: thanks, that's all" in fenced
    open_part = fenced.split("## Open questions", 1)[1].split("## Next steps", 1)[0]
    assert QUESTION in open_part and "open since session" in open_part
    steps = fenced.split("## Next steps", 1)[1].split("\n## ", 1)[0]
    assert STEP in steps
    earlier = fenced.split("## Earlier handoff", 1)[1]
    assert "Add partial refunds" in earlier and "Refunds work." in earlier
