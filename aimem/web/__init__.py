"""``aimem web``: a read-only view of memory for the people beside the agents.

Rendering is a pure function of a route (``views``: data in, HTML string out, links built by a
``urls.Links``), so the live server (``app``, ``serve``) and the static export share it. Nothing
here writes: git is read with pygit2 and the index is opened with SQLite's ``mode=ro``.
"""
