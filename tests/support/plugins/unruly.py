"""A plugin that does everything wrong at run time, to show the host isolates it."""

from core.host.hookspecs import Button, hookimpl


def explode(ctx):
    raise RuntimeError("unruly button exploded")


@hookimpl
def menu_buttons(app, settings):
    return [Button("💥 Взрыв", explode, order=95)]


@hookimpl
def balance_changed(app, settings, change):
    raise RuntimeError("unruly listener exploded")


@hookimpl(tryfirst=True)  # before referrals, whose answer would end the call
def start_payload(app, settings, ctx, payload, new_user):
    raise RuntimeError("unruly payload reader exploded")
