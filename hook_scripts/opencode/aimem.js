// aimem: shared long-term memory for coding agents -- opencode plugin.
// Managed by `aimem install opencode`; `aimem uninstall opencode` removes this file.
// aimem-managed-plugin v1
//
// opencode has no shell hooks: this plugin (V1 plugin API, a named export) runs
// `aimem hook opencode <event>` with a JSON payload on stdin that it builds itself, in the
// Claude Code vocabulary (session_id, cwd, prompt, tool_name, tool_input, tool_response, ...):
//
//   session.created                  {source: "startup"|"resume", title}
//   chat.message                     {prompt, prompt_id, turn_id}
//   tool.execute.after               {tool_name, tool_input, tool_response, tool_use_id, exit_code, turn_id}
//   experimental.session.compacting  {}            (before a compaction)
//   session.compacted                {}            (after it)
//   session.idle                     {last_assistant_message, turn_id}   (the turn ended)
//   session.deleted                  {reason: "deleted"}
//   plugin.exit                      {reason: "exit"}  (opencode has no end event: our own exit)
//
// The memory context (handoff + brief) that `aimem hook opencode session.created` prints is
// cached per session and pushed into the system prompt by `experimental.chat.system.transform`,
// which runs before every model call. Calls for one session run one after another (so the journal
// keeps their order) and never block opencode: only the system transform waits, and only for the
// session's start, at most START_WAIT_MS. Child sessions (subagents, `parentID` set) are skipped.
// Every failure is swallowed: memory must never break the agent.

import { spawn, spawnSync } from "node:child_process";

const AIMEM = "{{AIMEM_PATH}}";
const CALL_TIMEOUT_MS = 15000;
const START_WAIT_MS = 10000;
const EXIT_TIMEOUT_MS = 3000;

function runHook(event, payload) {
  return new Promise((resolve) => {
    let out = "";
    let child;
    try {
      child = spawn(AIMEM, ["hook", "opencode", event], { stdio: ["pipe", "pipe", "ignore"] });
    } catch {
      resolve("");
      return;
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {}
    }, CALL_TIMEOUT_MS);
    child.on("error", () => {
      clearTimeout(timer);
      resolve("");
    });
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(payload));
  });
}

function contextOf(stdout) {
  try {
    const text = JSON.parse(stdout)?.hookSpecificOutput?.additionalContext;
    return typeof text === "string" ? text : "";
  } catch {
    return "";
  }
}

function within(promise, ms, fallback) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function textOf(parts) {
  if (!Array.isArray(parts)) return "";
  return parts
    .filter((p) => p && p.type === "text" && !p.synthetic && typeof p.text === "string")
    .map((p) => p.text)
    .join("\n");
}

export const AimemPlugin = async ({ directory, worktree } = {}) => {
  const cwd = directory || worktree || process.cwd();
  const queues = new Map(); // session id -> tail of its call chain
  const started = new Map(); // session id -> Promise<context text>
  const children = new Set(); // subagent sessions: not recorded
  const ended = new Set();
  const turns = new Map(); // session id -> id of the last user message
  const roles = new Map(); // message id -> role
  const lastText = new Map(); // session id -> latest assistant text
  let lastSession = null;

  const tracked = (id) => typeof id === "string" && id.length > 0 && !children.has(id);

  function enqueue(id, event, fields) {
    const payload = { hook_event_name: event, session_id: id, cwd, ...fields };
    const previous = queues.get(id) || Promise.resolve("");
    const next = previous.then(() => runHook(event, payload));
    queues.set(
      id,
      next.catch(() => ""),
    );
    return next.catch(() => "");
  }

  function startSession(id, source, title) {
    if (!started.has(id)) {
      lastSession = id;
      started.set(id, enqueue(id, "session.created", { source, title }).then(contextOf));
    }
    return started.get(id);
  }

  function record(id, event, fields) {
    if (!tracked(id)) return;
    lastSession = id;
    startSession(id, "resume");
    void enqueue(id, event, fields);
  }

  process.on("exit", () => {
    for (const id of started.keys()) {
      if (ended.has(id) || children.has(id)) continue;
      try {
        spawnSync(AIMEM, ["hook", "opencode", "plugin.exit"], {
          input: JSON.stringify({ hook_event_name: "plugin.exit", session_id: id, cwd, reason: "exit" }),
          stdio: ["pipe", "ignore", "ignore"],
          timeout: EXIT_TIMEOUT_MS,
        });
      } catch {}
    }
  });

  return {
    event: async ({ event } = {}) => {
      try {
        const type = event?.type;
        const props = event?.properties || {};
        if (type === "session.created") {
          const info = props.info || {};
          if (info.parentID) {
            children.add(info.id);
          } else if (tracked(info.id)) {
            void startSession(info.id, "startup", info.title);
          }
        } else if (type === "message.updated") {
          const info = props.info || {};
          if (info.id && info.role) roles.set(info.id, info.role);
        } else if (type === "message.part.updated") {
          const part = props.part || {};
          if (part.type === "text" && typeof part.text === "string" && roles.get(part.messageID) === "assistant") {
            lastText.set(part.sessionID, part.text);
          }
        } else if (type === "session.idle") {
          const id = props.sessionID;
          record(id, "session.idle", {
            last_assistant_message: lastText.get(id) || "",
            turn_id: turns.get(id) || "",
          });
        } else if (type === "session.compacted") {
          record(props.sessionID, "session.compacted", { turn_id: turns.get(props.sessionID) || "" });
        } else if (type === "session.deleted") {
          const id = props.info?.id;
          if (tracked(id) && started.has(id) && !ended.has(id)) {
            ended.add(id);
            void enqueue(id, "session.deleted", { reason: "deleted" });
          }
        }
      } catch {}
    },

    "chat.message": async (input, output) => {
      try {
        const id = input?.sessionID;
        const messageID = input?.messageID || output?.message?.id || "";
        if (messageID) turns.set(id, messageID);
        record(id, "chat.message", {
          prompt: textOf(output?.parts),
          prompt_id: messageID,
          turn_id: messageID,
          agent: input?.agent,
        });
      } catch {}
    },

    "tool.execute.after": async (input, output) => {
      try {
        const id = input?.sessionID;
        record(id, "tool.execute.after", {
          tool_name: input?.tool,
          tool_input: input?.args ?? {},
          tool_response: output?.output ?? "",
          tool_use_id: input?.callID,
          title: output?.title,
          exit_code: output?.metadata?.exit,
          turn_id: turns.get(id) || "",
        });
      } catch {}
    },

    "experimental.session.compacting": async (input) => {
      try {
        record(input?.sessionID, "experimental.session.compacting", {
          turn_id: turns.get(input?.sessionID) || "",
        });
      } catch {}
    },

    "experimental.chat.system.transform": async (input, output) => {
      try {
        const id = input?.sessionID || lastSession;
        if (!tracked(id) || !Array.isArray(output?.system)) return;
        const context = await within(startSession(id, "resume"), START_WAIT_MS, "");
        if (context) output.system.push(context);
      } catch {}
    },
  };
};
