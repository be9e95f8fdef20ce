"""Step logs in GCS whose download links work on GKE.

dagster-gcp's ``GCSComputeLogManager`` makes the UI's download links with
``blob.generate_signed_url()``, which needs a private key. Under Workload
Identity the credentials have none, the call fails, and the manager falls back
to a link to the webserver's own disk, where no run's logs are. Signed URLs
can also be signed by IAM (``signBlob``) as the caller's own account, given
its email and an access token: this manager does that when the credentials
cannot sign, and terraform grants the control plane's account
``iam.serviceAccountTokenCreator`` on itself for it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import google.auth
from dagster_gcp.gcs.compute_log_manager import GCSComputeLogManager
from google.auth.credentials import Signing
from google.auth.transport.requests import Request

LINK_LIFETIME = timedelta(minutes=60)

log = logging.getLogger(__name__)


class IamSignedGCSComputeLogManager(GCSComputeLogManager):
    """``GCSComputeLogManager``, its download links signed by IAM when the
    credentials hold no key (deploy/dagster.gcp.yaml, the Helm values)."""

    def download_url_for_type(self, log_key, io_type):
        if not self.is_capture_complete(log_key):
            return None
        blob = self._bucket.blob(self._gcs_key(log_key, io_type))
        try:
            return blob.generate_signed_url(
                version="v4", expiration=LINK_LIFETIME, **self._signing_account()
            )
        except Exception as error:  # the UI shows no link rather than a broken one
            log.warning(f"no download link for {'/'.join(log_key)}: {error}")
            return None

    def _signing_account(self) -> dict[str, str]:
        """Nothing when the default credentials can sign (a key file); else the
        account's email and an access token, for IAM's signBlob. The credentials
        are found once and their token refreshed only when it has expired."""
        credentials = getattr(self, "_signing_credentials", None)
        if credentials is None:
            credentials, _ = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"]
            )
            self._signing_credentials = credentials
        if isinstance(credentials, Signing):
            return {}
        if not credentials.valid:
            credentials.refresh(Request())
        return {
            "service_account_email": credentials.service_account_email,
            "access_token": credentials.token,
        }
