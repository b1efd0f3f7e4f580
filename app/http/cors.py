"""CORS on /graphql: browsers on `CORS_ORIGINS` may call the API.

Only a request from an allowed origin gets `Access-Control-Allow-Origin`
(Flask-CORS would otherwise give a request without an Origin the first
allowed one), and every /graphql answer says `Vary: Origin`: with origins
configured, whether and what the answer allows depends on the request's
Origin, so a shared cache must not hand one origin's answer to another.
"""

from flask import Flask, Response, request

from app.extensions import cors

GRAPHQL_PATH = "/graphql"


def init_cors(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    cors.init_app(
        app,
        resources={GRAPHQL_PATH: {"origins": origins}},
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=600,
        always_send=False,
        vary_header=False,  # vary_on_origin, on every answer rather than some
    )
    if origins:
        app.after_request(vary_on_origin)


def vary_on_origin(response: Response) -> Response:
    if request.path == GRAPHQL_PATH:
        response.vary.add("Origin")
    return response
