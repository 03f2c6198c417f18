"""A plugin with a pluggy hookwrapper, which genbot refuses at load."""

from core.host.hookspecs import hookimpl


@hookimpl(wrapper=True)
def generation_finished(app, settings, event):
    return (yield)
