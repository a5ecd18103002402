"""Memory that travels: a project's wiki synced with git remotes (DESIGN §10).

``config.py`` keeps each project's remotes (machine-local, in ``state/remotes.json``);
``run.py`` fetches, merges (``wiki/merge.py``) through the memory transaction and pushes;
``knowledge.py`` builds the filtered history a ``--share knowledge`` remote gets; ``claims.py``
carries handoff claims between machines; ``scan.py`` refuses to push what looks like a secret;
``conflicts.py`` lists pages edited on two machines that a person has yet to reconcile.
"""
