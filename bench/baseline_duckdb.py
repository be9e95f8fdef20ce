"""DuckDB's JSON reader with an explicit schema, copied to parquet.

Usage: baseline_duckdb.py SRC DEST
"""

import json
import sys

import duckdb

COLUMNS = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "actor": "STRUCT(id BIGINT, login VARCHAR)",
    "repo": "STRUCT(id BIGINT, name VARCHAR)",
    "org": "STRUCT(id BIGINT, login VARCHAR)",
    "payload": "JSON",
    "public": "BOOLEAN",
    "created_at": "TIMESTAMPTZ",
}


def main(src: str, dest: str) -> None:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in COLUMNS.items())
    connection.execute(
        f"""COPY (
            SELECT id, type, created_at, actor.id AS actor_id, actor.login AS actor_login,
                   repo.id AS repo_id, repo.name AS repo_name, org.id AS org_id,
                   org.login AS org_login, public, payload::VARCHAR AS payload
            FROM read_json(?, format = 'newline_delimited', compression = 'gzip',
                           columns = {{{columns}}}, maximum_object_size = 268435456)
        ) TO '{dest}' (FORMAT parquet, COMPRESSION zstd)""",
        [src],
    )
    rows = connection.execute(f"SELECT count(*) FROM read_parquet('{dest}')").fetchone()[0]
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
