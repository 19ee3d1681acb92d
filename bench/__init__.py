"""Benchmark harness: a synthetic catalogue generator and ``run.py`` (see ``bench/README.md``)."""
