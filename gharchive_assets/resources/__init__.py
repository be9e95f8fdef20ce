"""Dagster resources: where hours come from, the lake and the warehouse."""
