"""Remote settings (``sync/config.py``): any name, URL and branch a person types is either
stored as given or refused with one line; a URL with a password is never stored."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimem.project import ProjectPaths
from aimem.sync import config

TEXT = st.text(max_size=60)
URLS = st.one_of(
    TEXT,
    st.builds(
        lambda scheme, user, pw, host, path: f"{scheme}://{user}:{pw}@{host}/{path}",
        st.sampled_from(["https", "http", "ssh", "git", "ftp", "ext"]),
        st.from_regex(r"[a-z]{1,6}", fullmatch=True),
        st.from_regex(r"[a-zA-Z0-9]{0,8}", fullmatch=True),
        st.from_regex(r"[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True),
        st.from_regex(r"[a-z/]{0,12}", fullmatch=True),
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=TEXT, url=URLS, share=st.sampled_from(["all", "knowledge", "", "everything"]),
       branch=st.one_of(st.none(), TEXT))  # fmt: skip
def test_any_input_is_stored_or_refused_in_one_line(
    tmp_path_factory, name: str, url: str, share: str, branch: str | None
) -> None:  # noqa: ANN001
    paths = ProjectPaths(str(tmp_path_factory.mktemp("p")))
    try:
        remote = config.add(paths, "proj", name, url, share, branch)
    except config.RemoteConfigError as exc:
        assert "\n" not in str(exc)
        assert config.load(paths) == []
        return
    assert config.load(paths) == [remote]
    assert remote.share in ("all", "knowledge")
    stored = Path(config.path_of(paths)).read_text()
    assert json.loads(stored)["remotes"][0]["url"] == remote.url
    assert not urlsplit(remote.url).password  # a password is never stored


def test_names_are_unique_and_remove_forgets(tmp_path: Path) -> None:
    paths = ProjectPaths(str(tmp_path))
    config.add(paths, "shop", "laptop", "/srv/memory.git", "all", None)
    for name, url in (("laptop", "/srv/other.git"), ("again", "/srv/memory.git")):
        try:
            config.add(paths, "shop", name, url, "all", None)
        except config.RemoteConfigError:
            continue
        raise AssertionError("a duplicate was stored")
    assert [r.branch for r in config.load(paths)] == ["aimem/shop"]
    config.remove(paths, "laptop")
    assert config.load(paths) == []
