"""The hooks the payments plugin publishes (``plugin_hookspecs``): other plugins hear of
money that really came in — the referrals plugin rewards the referrer from them.

Each is called once the payment's credit or refund committed, through ``app.hook``
(``credit.announce``). A plugin implementing them marks them
``@hookimpl(optionalhook=True)``, so it still loads where payments is not installed.
"""

from __future__ import annotations

from genbot import PaymentEvent, hookspec

__all__ = ["PaymentEvent", "payment_credited", "payment_refunded"]


@hookspec
def payment_credited(app, settings, payment):
    """A real payment was credited (committed).

    ``payment``: a ``PaymentEvent`` (source, external id, user, amount, ``credited``).
    Returns nothing.
    """


@hookspec
def payment_refunded(app, settings, payment):
    """A credited payment was refunded (committed).

    ``payment``: a ``PaymentEvent`` whose ``status`` is ``refunded``. Returns nothing.
    """
