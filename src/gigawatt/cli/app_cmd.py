"""`gigawatt app`: the what-if workbench in the browser (local, offline)."""

from __future__ import annotations

from pathlib import Path

import typer

from ..errors import ValidationError
from . import app
from .output import err_console


@app.command("app")
def app_cmd(
    scenario: str = typer.Option("stargate", "--scenario", help="Built-in scenario id or "
                                 "a scenario YAML file."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (default: this "
                             "machine only)."),
    port: int = typer.Option(8050, "--port", help="TCP port (0: any free port)."),
    out: str = typer.Option("gigawatt-variants", "--out", help="Folder the saved variants' "
                            "scenario YAML files go to."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
) -> None:
    """Open a what-if workbench for a scenario; Ctrl-C stops it."""
    if not 0 <= port <= 65535:
        raise ValidationError(f"{port} is out of range; allowed: 0..65535", field="--port")
    from ..app.server import App, make_server
    from ..app.workbench import Workbench
    from ..catalog import load_catalog
    from ..scenario import load_scenario

    cat = load_catalog()
    bench = Workbench(load_scenario(scenario, cat), cat)
    bench.capability()  # the performance models once, before the first page
    try:
        server = make_server(App(bench, Path(out)), host, port)
    except OSError as exc:
        raise ValidationError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
                              "allowed: a free port, or --port 0", field="--port") from None
    url = f"http://{host}:{server.server_address[1]}/"
    err = err_console()
    try:  # from the first line a user can act on, Ctrl-C stops the server cleanly
        err.print(f"gigawatt app: {bench.scenario.id} at {url} (Ctrl-C stops it)")
        if not no_browser:
            import webbrowser

            webbrowser.open(url)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        err.print("stopped")
    finally:
        server.server_close()
