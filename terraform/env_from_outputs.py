"""`terraform output -json` on stdin → `export GHARCHIVE_…=…` lines on stdout.

terraform output -json | python3 env_from_outputs.py > gharchive.env
source gharchive.env
"""

import json
import shlex
import sys


def env_lines(outputs: dict) -> list[str]:
    """One export per output named gharchive_*, upper-cased; the rest are left out."""
    return [
        f"export {name.upper()}={shlex.quote(str(output['value']))}"
        for name, output in sorted(outputs.items())
        if name.startswith("gharchive_")
    ]


if __name__ == "__main__":
    print("\n".join(env_lines(json.load(sys.stdin))))
