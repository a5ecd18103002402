"""The wiki: markdown pages with YAML front matter in a git repository (the source of truth)."""
