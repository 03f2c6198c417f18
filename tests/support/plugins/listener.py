"""A plugin that only listens: what it heard of balance changes, for the tests."""

from genbot import hookimpl

heard: list = []


@hookimpl
def balance_changed(change):
    heard.append(change)
