"""The memory lifecycle: decay, sweeps and lint (DESIGN.md section 7)."""
