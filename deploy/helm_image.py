"""The release's Helm values with every Dagster pod on one image, by digest.

The deploy workflow (.github/workflows/deploy.yml) reads the installed values
(``helm get values dagster -n dagster -o json``), hands them here with the
digest it pushed, and upgrades with what this prints: the webserver, the
daemon, the code location and every run then run exactly the image that was
built, never a tag that moved. Everything else in the values stays as the
operator installed it (terraform's ``dagster_helm_values``).

Dagster's chart (1.13) names a digest for its own pods (``image.digest``, which
wins over the tag), but its code-location subchart renders ``repository:tag``
only: there the digest goes in as ``repository@sha256`` and ``tag`` the hex,
which renders ``repository@sha256:HEX``, the same reference.

    python deploy/helm_image.py VALUES.json REPOSITORY sha256:HEX > values.json
"""

from __future__ import annotations

import copy
import json
import re
import sys

DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
REPOSITORY = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$")
CODE_LOCATION = "gharchive-assets"


def pinned(values: dict, repository: str, digest: str) -> dict:
    """``values`` with the webserver, the daemon and the code location (so its
    runs too) on ``repository@digest``; a clear error for anything else."""
    if not DIGEST.match(digest):
        raise ValueError(f"{digest!r} is not an image digest (sha256: and 64 hex digits)")
    if not REPOSITORY.match(repository):
        raise ValueError(f"{repository!r} is not an image repository (HOST/PATH, no tag)")
    values = copy.deepcopy(values)
    for part in ("dagsterWebserver", "dagsterDaemon"):
        image = values.setdefault(part, {}).setdefault("image", {})
        image.update(repository=repository, digest=digest)
    deployments = (values.get("dagster-user-deployments") or {}).get("deployments") or []
    ours = [d for d in deployments if d.get("name") == CODE_LOCATION]
    if not ours:
        raise ValueError(
            f"the release has no code location {CODE_LOCATION!r}: install it first with "
            "terraform's dagster_helm_values (docs/gcp.md)"
        )
    algorithm, hex_digest = digest.split(":")
    for deployment in ours:
        image = deployment.setdefault("image", {})
        image.update(repository=f"{repository}@{algorithm}", tag=hex_digest)
    return values


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    _, path, repository, digest = argv
    with open(path, encoding="utf-8") as handle:
        values = json.load(handle)
    try:
        print(json.dumps(pinned(values, repository, digest), indent=2))
    except ValueError as error:
        print(f"helm_image: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
