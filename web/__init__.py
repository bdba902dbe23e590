"""The web application for planners: studies, rules, runs in the background, edits, proposals, comparisons.

    python app.py serve [--host 127.0.0.1] [--port 8000] [--data-dir DIR]

FastAPI under uvicorn, Jinja2 templates and a little JavaScript (Leaflet from the same local assets
as the offline maps). Its state is one SQLite database, ``DIR/xuequ.sqlite``, with the files under
``DIR``; everything survives a restart. The work itself goes through the public API
(:func:`partition.plan_districts`'s steps, :func:`partition.score_plan`, :func:`partition.compare_plans`,
:func:`maps.write_plan_files`).

Importing the package is light (the command line reads :mod:`web.settings` for its defaults); the
application and its web stack load when :func:`create_app` or :func:`serve` is first asked for.
"""

from web.settings import DEFAULT_HOST, DEFAULT_PORT, default_data_dir

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "create_app", "default_data_dir", "serve"]


def __getattr__(name: str):
    if name in ("create_app", "serve"):
        from web import server

        return getattr(server, name)
    raise AttributeError(f"module 'web' has no attribute {name!r}")
