"""The benchmark harness: seed the reference size, time pages, load at a fixed rate (README)."""
