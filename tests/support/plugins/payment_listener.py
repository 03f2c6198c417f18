"""A plugin of the previous release: it implements ``payment_credited``, then genbot's
hook, plainly (no ``optionalhook``)."""

from genbot import hookimpl

heard: list = []


@hookimpl
def payment_credited(payment):
    heard.append(payment)
