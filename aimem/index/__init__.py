"""The derived SQLite search index (FTS5), rebuilt or updated from the wiki's git history."""
