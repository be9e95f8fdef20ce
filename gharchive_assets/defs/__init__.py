"""The code location's defs folder, loaded by ``definitions.py`` with
``dg.load_from_defs_folder``: every module here is read for definitions.

One module per stage (``lake``, ``warehouse``, ``analytics``, ``report``,
``automation``) and one for the chosen target's resources (``resources``).
Each builds its definitions from :func:`~gharchive_assets.settings.current_settings`
when the folder is loaded, never at import time. A new module (or folder, or
``defs.yaml`` component) added here is loaded with no other change.
"""
