"""genbot's test harness, shipped in the wheel for plugin authors (and used by genbot's
own suite): a real PostgreSQL, the App with chosen plugins, updates as Telegram sends
them, and a Bot API stand-in over real HTTP. No mocks.

- ``genbot.testing.fixtures`` — pytest fixtures (``pg``, ``db_settings``, ``bot_api``,
  ``bot``); put ``pytest_plugins = ["genbot.testing.fixtures"]`` in your conftest.py;
- ``genbot.testing.app`` — ``Bot``: ``say``, ``tap``, ``send`` an update, read what was sent;
- ``genbot.testing.updates`` — ``message``, ``callback``, ``photo`` updates;
- ``genbot.testing.bot_api`` — ``BotApiStandIn``: every call recorded (``calls``,
  ``calls_to``), failures on demand (``fail``, ``slow``), files (``add_file``);
- ``genbot.testing.standin`` — ``HttpStandIn``, the base of every stand-in (the Bot API's,
  genbot's providers', yours for your plugin's service): subclass it, ``listen()`` for a
  URL on 127.0.0.1, answer in ``serve(request, reply)`` with ``reply.send(status, body)``
  (JSON unless bytes; one write) or ``reply.stream(chunks, …)``; every request is in
  ``log``; ``start``, ``stop``, ``wait_for(check)``;
- ``genbot.testing.postgres`` — ``TestPostgres``, ``url_for``;
- ``genbot.testing.waiting`` — ``wait_until`` a condition, never a sleep;
- ``loopback_fetch`` — ``app.fetch_url``'s way, but reaching 127.0.0.1 too: hand it to a
  provider under test whose stand-in serves its files on this machine.

pytest is needed only for the fixtures: ``pip install genbot[test]``.
"""

from core.url_fetch import UrlFetcher, parse_networks
from genbot.testing.app import Bot, exchange, inline_buttons, make_app
from genbot.testing.standin import HttpStandIn, Reply, Request
from genbot.testing.waiting import wait_until

loopback_fetch = UrlFetcher(parse_networks("127.0.0.0/8,::1")).fetch

__all__ = ["Bot", "HttpStandIn", "Reply", "Request", "exchange", "inline_buttons", "loopback_fetch",
           "make_app", "wait_until"]
