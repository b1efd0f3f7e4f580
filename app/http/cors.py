"""CORS on /graphql and the exports (/export/...): browsers on
`CORS_ORIGINS` may call the API, and download a file with the bearer token
(reading its name from `Content-Disposition`, which they are let see).

Only a request from an allowed origin gets `Access-Control-Allow-Origin`
(Flask-CORS would otherwise give a request without an Origin the first
allowed one), and every answer on those paths says `Vary: Origin`: with
origins configured, whether and what the answer allows depends on the
request's Origin, so a shared cache must not hand one origin's answer to
another.
"""

from flask import Flask, Response, request

from app.extensions import cors

GRAPHQL_PATH = "/graphql"
EXPORT_PREFIX = "/export/"


def init_cors(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    cors.init_app(
        app,
        resources={
            GRAPHQL_PATH: {"origins": origins},
            f"{EXPORT_PREFIX}.*": {
                "origins": origins,
                "expose_headers": ["Content-Disposition"],
            },
        },
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
        always_send=False,
        vary_header=False,  # vary_on_origin, on every answer rather than some
    )
    if origins:
        app.after_request(vary_on_origin)


def vary_on_origin(response: Response) -> Response:
    if request.path == GRAPHQL_PATH or request.path.startswith(EXPORT_PREFIX):
        response.vary.add("Origin")
    return response
