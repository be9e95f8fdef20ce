"""The baseline of the public GH Archive pipelines (Mage, Kestra, Airflow scripts).

json.loads of every line into a list, a pandas DataFrame, json_normalize of
actor/repo/org, dtype fixes, to_parquet. Usage: baseline_pandas.py SRC DEST
"""

import gzip
import json
import sys

import pandas as pd


def main(src: str, dest: str) -> None:
    with gzip.open(src, "rt", encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    frame = pd.DataFrame(records)
    actor = pd.json_normalize(frame["actor"].tolist())[["id", "login"]].add_prefix("actor_")
    repo = pd.json_normalize(frame["repo"].tolist())[["id", "name"]].add_prefix("repo_")
    orgs = [org if isinstance(org, dict) else {} for org in frame.get("org", [None] * len(frame))]
    org = pd.json_normalize(orgs).reindex(columns=["id", "login"]).add_prefix("org_")
    frame = pd.concat(
        [frame[["id", "type", "public", "created_at", "payload"]], actor, repo, org], axis=1
    )
    frame["id"] = frame["id"].astype("string")
    frame["type"] = frame["type"].astype("string")
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True)
    frame["public"] = frame["public"].astype("boolean")
    frame["payload"] = frame["payload"].map(json.dumps)
    for column in ("actor_id", "repo_id", "org_id"):
        frame[column] = frame[column].astype("Int64")
    frame.to_parquet(dest, index=False)
    print(json.dumps({"rows": len(frame)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
