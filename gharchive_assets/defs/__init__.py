"""Asset, resource and automation definitions, assembled in ``definitions.py``."""
