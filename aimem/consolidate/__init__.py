"""Consolidation: a session's journal -> wiki pages (session log, handoff) in one git commit."""
