"""The real-browser harness for ``aimem web`` and ``aimem export --html``.

- ``build_world``: two real projects whose memory was made the way agents make it: recorded Claude
  Code sessions replayed through ``aimem hook`` (one process per event, consolidated by their own
  SessionEnd) and knowledge pages written through a real ``aimem mcp`` server with the real ``mcp``
  client. Some of that text is hostile: ``<script>``, ``onerror=`` and ``javascript:`` content that
  would set ``window.__pwned`` or the document title if it ever ran.
- ``WebServer``: ``aimem web`` as a subprocess on a free loopback port, as a person starts it.
- ``start_browser``: Debian's headless Chromium through selenium and chromedriver, console logs on.
- ``crawl``: every same-origin link reachable from a start page, with its status and console errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from replay import aimem_exe, claude_session, clean_env, run_aimem

# The MCP suite's harness drives a real ``aimem mcp`` with the real client; reuse it rather than
# copy it (tests/mcp is on sys.path only when pytest collected that folder first).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "mcp"))
from mcp_harness import McpServer, wait_consolidated  # noqa: E402

from aimem.project import ProjectPaths, paths_for, resolve_project

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL_HINT = "apt-get install -y chromium chromium-driver"
# The flags Chromium needs on these machines: headless, as root, with no network beyond loopback
# (without the background-networking flags it keeps trying Google's hosts and logging failures).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
]

# What a successful attack would leave behind: every payload below sets one of these. The title
# is built at run time ('PW' + 'NED'), so a page that shows the payload as text (escaped, as it
# must) does not contain it.
PWNED_TITLE = "PWNED"
SCRIPT = "<script>window.__pwned = 'script'; document.title = 'PW' + 'NED'</script>"
ONERROR = "<img src=x onerror=\"window.__pwned = 'onerror'; document.title = 'PW' + 'NED'\">"
SVG = "<svg onload=\"window.__pwned = 'svg'\"><circle r=5></circle></svg>"
JS_MD_LINK = "[click me](javascript:window.__pwned='md-link')"
JS_HTML_LINK = "<a href=\"javascript:window.__pwned='html-link'\">raw link</a>"
JS_AUTOLINK = "<javascript:window.__pwned='autolink'>"
IFRAME = "<iframe src=\"javascript:parent.__pwned='iframe'\"></iframe>"
STYLE = "<style>body { display: none }</style>"
HOSTILE_BODY = "\n\n".join(
    [
        "Hostile content an agent copied from a web page. None of it may run.",
        SCRIPT,
        f"Inline: before {ONERROR} after.",
        SVG,
        f"A markdown link: {JS_MD_LINK}; an HTML one: {JS_HTML_LINK}; an autolink: {JS_AUTOLINK}.",
        IFRAME,
        STYLE,
        "A data link: [data](data:text/html,<script>parent.__pwned='data'</script>)",
        "And a fine one: [aimem docs](https://example.invalid/docs).",
    ]
)
PROMPTS = [
    "Refactor parse_config in src/app/config.py so YAML anchors survive a round trip",
    f"Summarise this page for me {SCRIPT} and {ONERROR} then fix the flaky sqlite migration test",
    "Add a retry with jitter around the webhook delivery client",
]
OTHER_PROMPT = "Port the billing exporter to the new ledger schema"


@dataclass
class World:
    root: Path
    home: Path
    env: dict[str, str]
    projects: dict[str, Path]  # slug -> the user's git repository
    paths: dict[str, ProjectPaths]
    main: str  # slug of the project with the hostile pages
    other: str  # a second project, for --all and the project list
    pages: dict[str, str] = field(default_factory=dict)  # label -> wiki path (main project)

    def wiki_fingerprint(self) -> dict[str, str]:
        """What must not change while people look: each wiki's HEAD and index.sqlite's bytes."""
        out = {}
        for slug, paths in self.paths.items():
            head = subprocess.run(
                ["git", "-C", paths.wiki, "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            out[f"{slug}:HEAD"] = head
            for suffix in ("", "-wal"):
                # An empty -wal holds no data: SQLite creates one when it opens a WAL database,
                # even read-only (mode=ro), so only its content counts.
                file = Path(paths.index + suffix)
                if file.exists() and (suffix == "" or file.stat().st_size):
                    out[f"{slug}:index{suffix}"] = hashlib.sha256(file.read_bytes()).hexdigest()
        return out


def make_repo(root: Path, name: str) -> Path:
    """The user's code repository (one commit), named ``name`` so project slugs read well."""
    repo = root / name
    (repo / "src").mkdir(parents=True)
    (repo / "src" / "main.py").write_text("print('hello')\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return repo


def _slug_of(repo: Path) -> str:
    found = resolve_project(str(repo), {})
    assert found is not None, repo
    return found.slug


def _replay(env: dict[str, str], repo: Path, paths: ProjectPaths, prompt: str) -> str:
    session = str(uuid.uuid4())
    results = claude_session(str(repo), session, prompt, env)
    assert [r.returncode for r in results] == [0] * len(results), [r.stderr for r in results]
    wait_consolidated(paths, session)
    return session


def build_world(root: Path) -> World:
    """Two projects: ``main`` with three replayed sessions (one prompt hostile) and a set of
    knowledge pages (wikilinks good and broken, a superseded page, a pinned rule, a long page,
    hostile bodies and titles); ``other`` with one session and one decision."""
    home = root / "data"
    env = clean_env(str(home), AIMEM_CONFIG=str(root / "no-config.toml"))
    main_repo = make_repo(root, "webshop")
    other_repo = make_repo(root, "billing")
    main, other = _slug_of(main_repo), _slug_of(other_repo)
    world = World(
        root=root,
        home=home,
        env=env,
        projects={main: main_repo, other: other_repo},
        paths={main: paths_for(str(home), main), other: paths_for(str(home), other)},
        main=main,
        other=other,
    )
    for prompt in PROMPTS:
        _replay(env, main_repo, world.paths[main], prompt)
    _replay(env, other_repo, world.paths[other], OTHER_PROMPT)

    stderr = root / "mcp-build.err"
    with McpServer(env, str(main_repo), stderr) as mcp:

        def write(label: str, **args: object) -> str:
            path = mcp.ok("memory_write_page", **args)["path"]
            world.pages[label] = path
            return path

        old = write(
            "old",
            type="decision",
            title="Store the index in a JSON file",
            body="We kept the search index as one JSON file.\n\nFast enough for 100 pages.",
            tags=["index"],
        )
        wal = write(
            "wal",
            type="decision",
            title="Use SQLite WAL mode for the index",
            body=(
                "SQLite in WAL mode lets readers run while a consolidation writes.\n\n"
                f"It replaces [[{old[:-3]}]]. See also [[gotchas/does-not-exist]] (a broken link)."
            ),
            tags=["sqlite", "index"],
            supersedes=[old],
        )
        write(
            "rule",
            type="rule",
            title="Run the migration tests before every commit",
            body="The sqlite migration test is flaky under load; run it twice.\n\n"
            f"Background: [[{wal[:-3]}]].",
            pinned=True,
        )
        write(
            "gotcha",
            type="gotcha",
            title="Webhook retries need jitter",
            body="Without jitter every client retries at once after an outage.\n\n"
            + "\n\n".join(
                f"## Incident {n}\n\n" + " ".join(["The webhook retry storm repeated."] * 40)
                for n in range(1, 9)
            ),
            tags=["webhook"],
        )
        write(
            "concept",
            type="concept",
            title="How YAML anchors survive parse_config",
            body="parse_config keeps anchors by loading with the round-trip loader.\n\n"
            "```python\nloader = YAML(typ='rt')\n```\n\n"
            f"Related: [[{wal[:-3]}]].",
            tags=["yaml", "config"],
        )
        write("hostile", type="gotcha", title="Pasted web page with scripts", body=HOSTILE_BODY)
        write(
            "hostile_title",
            type="concept",
            title=f"Title with markup {SCRIPT} {ONERROR}",
            body=f"The title carries the payload. {JS_MD_LINK}",
            tags=["<b>bold</b>", "x\" onmouseover=\"window.__pwned='tag'"],
        )
    with McpServer(env, str(other_repo), root / "mcp-build-other.err") as mcp:
        mcp.ok(
            "memory_write_page",
            type="decision",
            title="Ledger amounts are integer cents",
            body="Floats lost cents in the billing exporter; the ledger stores integer cents.",
            tags=["billing"],
        )
    return world


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class WebServer:
    """``aimem web --port N ARGS`` in a subprocess; ``url`` once it answers."""

    def __init__(self, env: dict[str, str], cwd: str, args: list[str], log: Path) -> None:
        self.env, self.cwd, self.args, self.log_path = env, cwd, args, log
        self.port = 0
        self.url = ""

    def __enter__(self) -> WebServer:
        for _attempt in range(3):  # another process may take the free port before we bind it
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in __exit__
            self.proc = subprocess.Popen(
                [aimem_exe(), "web", "--port", str(self.port), *self.args],
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
            )
            if self._wait_up(20.0):
                return self
            self._stop()
        raise AssertionError(f"aimem web did not start: {self.log_path.read_text()[-3000:]}")

    def _wait_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as resp:
                    return resp.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        return False

    def _stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # what Ctrl-C-like shutdown looks like to uvicorn
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def __exit__(self, *exc: object) -> None:
        self._stop()

    def output(self) -> str:
        return self.log_path.read_text()


# --- the browser -------------------------------------------------------------------------------


def chromium_problem() -> str | None:
    """Why the browser suite cannot run here, as one line with the fix, or ``None``."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    if missing:
        return f"{' and '.join(missing)} not found: install them with `{INSTALL_HINT}`"
    return None


def start_browser(profile: Path):  # -> selenium WebDriver (imported lazily: a heavy import)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def console_errors(driver) -> list[str]:
    """Console entries at SEVERE or WARNING since the last call (reading the log drains it).
    CSP violations are reported at SEVERE; so are failed loads (a 404 image, a missing asset)."""
    return [
        f"{e['level']} {e['message']}"
        for e in driver.get_log("browser")
        if e["level"] in ("SEVERE", "WARNING")
    ]


def pwned(driver) -> object:
    """What an attack would have left in this page: ``None`` when nothing ran."""
    return driver.execute_script(
        "return window.__pwned || (document.title.indexOf(arguments[0]) >= 0 ? 'title' : null)",
        PWNED_TITLE,
    )


@dataclass
class Visit:
    url: str
    status: int  # HTTP status from a plain GET, or 200/404 for a file:// path that is/isn't there
    errors: list[str]  # console errors on load
    links: list[str]  # same-origin hrefs found, fragments removed
    unsafe: list[str]  # what ``UNSAFE_DOM`` found: anything that could run script
    pwned: object  # ``pwned(driver)`` after load: None unless an attack ran


# Everything in a loaded page that could run script or hide an attack: inline scripts, event
# handler attributes, script URLs in links/sources/forms, frames, objects, inline <style>.
UNSAFE_DOM = """
const out = [];
for (const el of document.querySelectorAll('*')) {
  for (const attr of el.attributes) {
    if (attr.name.startsWith('on')) out.push(el.tagName + '[' + attr.name + ']');
    if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].includes(attr.name)) {
      const v = attr.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (/^(javascript|vbscript|data):/.test(v) && !(el.tagName === 'LINK' && v === 'data:,'))
        out.push(el.tagName + '[' + attr.name + '=' + attr.value.slice(0, 40) + ']');
    }
  }
  if (el.tagName === 'SCRIPT' && !el.src) out.push('inline SCRIPT');
  if (['IFRAME', 'FRAME', 'OBJECT', 'EMBED', 'BASE'].includes(el.tagName)) out.push(el.tagName);
  if (el.tagName === 'STYLE') out.push('inline STYLE');
}
return out;
"""


def unsafe_dom(driver) -> list[str]:
    return driver.execute_script(UNSAFE_DOM)


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def page_links(driver) -> list[str]:
    """Every ``href`` of ``a`` and ``link`` elements and ``src`` of images and scripts, resolved."""
    return driver.execute_script(
        "const out = [];"
        "for (const a of document.querySelectorAll('a[href], link[href]')) out.push(a.href);"
        "for (const s of document.querySelectorAll('img[src], script[src]')) out.push(s.src);"
        "return out;"
    )


def same_origin(url: str, base: str) -> bool:
    u, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    if b.scheme == "file":
        return u.scheme == "file" and u.path.startswith(b.path.rsplit("/", 1)[0])
    return (u.scheme, u.netloc) == (b.scheme, b.netloc)


def crawl(driver, start: str, limit: int = 2000) -> dict[str, Visit]:
    """Visit ``start`` and every same-origin URL linked from a visited page (breadth first);
    one visit per URL without its fragment. Query strings are kept: a search link is a page."""
    root = start
    queue = [start]
    seen = {start}
    visits: dict[str, Visit] = {}
    console_errors(driver)  # drop what an earlier test left in the log
    while queue and len(visits) < limit:
        url = queue.pop(0)
        status = http_status(url) if url.startswith("http") else 0
        if url.startswith("file:"):
            path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
            status = 200 if path.is_file() else 404
        driver.get(url)
        wait_loaded(driver)
        links = []
        for href in page_links(driver):
            clean = urllib.parse.urldefrag(href).url
            if not same_origin(clean, root):
                continue
            links.append(clean)
            if clean not in seen:
                seen.add(clean)
                queue.append(clean)
        visits[url] = Visit(
            url, status, console_errors(driver), links, unsafe_dom(driver), pwned(driver)
        )
    return visits


def wait_loaded(driver, timeout: float = 10) -> None:
    """Until the document and everything it loads is in (``get`` normally waits for this, but
    a busy machine has shown a page read before its last links were parsed)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def broken(visits: dict[str, Visit]) -> list[str]:
    return [f"{v.status} {v.url}" for v in visits.values() if v.status != 200]


def screenshot(driver, name: str, full: bool = True) -> Path:
    """A PNG of the page under the artefacts directory (``$AIMEM_ARTEFACTS`` or
    ``build/browser``): kept after the run for people and CI to look at. ``full``: the whole
    page (up to 2,400 px high); otherwise the first 1280x800, small enough for the docs."""
    folder = artefacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(600, min(int(height), 2400)) if full else 800)
    driver.save_screenshot(str(out))
    driver.set_window_size(1280, 900)
    return out


def artefacts_dir() -> Path:
    configured = os.environ.get("AIMEM_ARTEFACTS")
    if configured:
        return Path(configured) / "browser"
    return Path(__file__).resolve().parents[3] / "build" / "browser"


def search_json(world: World, query: str, *extra: str) -> list[dict]:
    out = run_aimem("search", query, "--json", *extra, env=world.env, cwd=str(world.root))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def fresh_profile() -> Path:
    return Path(tempfile.mkdtemp(prefix="aimem-chromium-"))


def remove_profile(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def type_and_submit(driver, element, text: str) -> None:
    """Type ``text`` into a form field and press Enter, then wait for the next page to load
    (a submit does not wait for the navigation it starts)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.clear()
    element.send_keys(text, Keys.ENTER)
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def click_and_wait(driver, element) -> None:
    """Click ``element`` (a link or a submit button) and wait for the page it opens to load."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 10).until(expected_conditions.staleness_of(old))
    WebDriverWait(driver, 10).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
