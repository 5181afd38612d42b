"""Side-by-side benchmarks of this jug against the original jug (2.7.0).

Run ``python -m benchmarks --help`` from the repository root; what each
measurement means and how to read the table is in ``docs/performance.md``.
"""
