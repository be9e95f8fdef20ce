"""The lake: one home for its paths, its interface and its two stores.

- ``paths``: where each hour's files live (CONTRACT §4), from an ``ArchiveHour``;
- ``store``: the ``Lake`` interface the cleaner and the assets use;
- ``directory``: the lake as a directory tree (the local target, the cleaner's
  command line);
- ``gcs``: the lake as a GCS bucket (the gcp target);
- ``resource``: the Dagster resources, with what the assets ask of any lake;
- ``target``: the chosen target's lake.

``paths``, ``store`` and ``directory`` import no Dagster: the cleaner uses them.
"""
