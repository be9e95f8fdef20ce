"""``python -m gharchive_assets.dashboard``: Streamlit on 127.0.0.1:$DASHBOARD_PORT.

The settings are checked first, so a wrong variable fails here with its
message rather than in the browser. Streamlit runs headless (it opens no
browser), sends no usage statistics and watches no files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from gharchive_assets.core.local_env import apply_dotenv
from gharchive_assets.core.settings import SettingsError, load_settings

DEFAULT_PORT = "3001"


def main() -> int:
    try:
        apply_dotenv()  # .env, under the environment; streamlit's process inherits both
        settings = load_settings()
    except SettingsError as error:
        print(f"make dashboard: {error}", file=sys.stderr)
        return 2
    port = os.environ.get("DASHBOARD_PORT", "").strip() or DEFAULT_PORT
    if not port.isdigit() or not 0 < int(port) < 65536:
        print(
            f"make dashboard: DASHBOARD_PORT must be a port number, not {port!r}", file=sys.stderr
        )
        return 2
    where = (
        settings.warehouse_path
        if settings.target == "local"
        else f"BigQuery {settings.gcp_project}.{settings.bq_analytics_dataset}"
    )
    print(f"dashboard over {where} on http://127.0.0.1:{port}", flush=True)
    from streamlit.web import cli

    sys.argv = [
        "streamlit",
        "run",
        str(Path(__file__).with_name("app.py")),
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.headless=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--theme.base=light",
        "--client.toolbarMode=viewer",
    ]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
