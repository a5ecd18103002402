"""Changing a project's memory: the one transaction every writer goes through
(``transaction.py``), the brief it rewrites (``brief.py``) and the knowledge-page writer
(``write.py``). Consolidation (``consolidate/``) and the sweep (``lifecycle/``) are writers too."""
