"""Benchmarks of the running service: ``make bench`` (``python -m bench [NAME...]``).

Each ``bench/bench_*.py`` module exposes ``run(ctx: harness.BenchContext) -> list[Result]``;
``bench/harness.py`` holds what they share (a fresh database, gunicorn, seeding, load).
"""
