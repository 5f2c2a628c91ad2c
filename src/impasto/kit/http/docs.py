"""Interactive API docs at /docs, served from local files so they work without internet.

The Swagger UI 5 assets (which render OpenAPI 3.1) come from the ``fastapi-offline``
package; only its static files are used.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"


def install_docs(app: FastAPI, openapi_url: str, path: str = "/docs") -> None:
    app.mount(f"{path}/static", StaticFiles(directory=ASSETS), name="docs-static")

    @app.get(path, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - docs",
            swagger_js_url=f"{path}/static/swagger-ui-bundle.js",
            swagger_css_url=f"{path}/static/swagger-ui.css",
            swagger_favicon_url=f"{path}/static/favicon.png",
        )
