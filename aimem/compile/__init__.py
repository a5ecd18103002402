"""LLM compilation: a session's observations -> validated page changes (issue 12, part 2).

A second, additive step after the zero-LLM commit, never inside a hook. ``run.compile_session``
is the entry point; everything before ``apply`` is pure library code over plain data.
"""
