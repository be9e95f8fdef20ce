"""Test data the project makes itself: generated archive hours for tests and benchmarks.

Not used by the pipeline; kept in the package so the benchmarks import it too.
"""
