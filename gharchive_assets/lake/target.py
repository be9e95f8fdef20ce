"""The chosen target's lake (``GHARCHIVE_TARGET``): a directory tree locally, a
GCS bucket on gcp. The GCS client is imported only when it is chosen."""

from __future__ import annotations

from gharchive_assets.core.settings import Settings
from gharchive_assets.lake.resource import LakeResource, LocalLakeResource


def lake_for(settings: Settings) -> LakeResource:
    if settings.target == "gcp":
        from dagster_gcp import GCSResource

        from gharchive_assets.lake.gcs import GCSLakeResource

        return GCSLakeResource(
            gcs=GCSResource(project=settings.gcp_project), bucket=settings.gcs_bucket
        )
    return LocalLakeResource(root=str(settings.lake_root))
