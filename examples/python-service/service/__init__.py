"""A tiny service: a bottle app that hands out signed session tokens."""

from __future__ import annotations

import json
import os

from bottle import Bottle, response
from itsdangerous import URLSafeSerializer


def make_app(secret: str) -> Bottle:
    app = Bottle()
    signer = URLSafeSerializer(secret, salt="session")

    @app.get("/health")
    def health() -> str:
        response.content_type = "application/json"
        return json.dumps({"status": "ok", "token": signer.dumps({"user": "probe"})})

    @app.get("/whoami/<token>")
    def whoami(token: str) -> str:
        response.content_type = "application/json"
        return json.dumps(signer.loads(token))

    return app


def default_app() -> Bottle:
    return make_app(os.environ.get("SERVICE_SECRET", "dev-only-secret"))
