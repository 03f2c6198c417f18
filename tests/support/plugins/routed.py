"""A plugin with a table and an HTTP route, to show routes answer 503 while degraded."""

from core.host.hookspecs import WebRoute, hookimpl


def ping():
    return {"pong": True}


def boom():
    raise RuntimeError("route exploded")


@hookimpl
def plugin_tables():
    return ["projects"]


@hookimpl
def web_routes(app, settings):
    return [WebRoute("/routed/ping", ping), WebRoute("/routed/boom", boom, methods=("POST",))]
