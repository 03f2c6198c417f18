"""A plugin written for a later genbot: its extra hook is marked optional, and the
payloads it reads come before everyone else's."""

from core.host.hookspecs import hookimpl

heard: list[str] = []


@hookimpl(optionalhook=True)
def hook_of_a_later_genbot(app, settings):
    raise AssertionError("genbot has no such hook: never called")


@hookimpl(tryfirst=True)
def start_payload(app, settings, ctx, payload, new_user):
    heard.append(payload)
    return True if payload.startswith("fwd_") else None
