"""Data-root administration (issue 13): project identity, backup, restore, purge, rename."""
