"""Stars refunds of unknown outcome settled from the newest end of Telegram's record:
a bounded number of getStarTransactions calls, a remembered position, and no verdict on
a refund whose record was not read to its end (issue 22)."""

from __future__ import annotations

import logging
import math
import threading
import time
from decimal import Decimal

import pytest
import requests

from core.accounts.balances import ledger_differences
from core.ops.cleanup import run_cleanup
from core.ops.doctor import run_checks
from core.ops.migrations import Migrator
from genbot.testing import updates
from genbot.testing.app import exchange, make_app
from plugins.payments.refunds import refund_stars, settle_uncertain_refunds
from tests.test_payments import invoice_for, pay_stars

USER = 900
DAY = 86400


@pytest.fixture
def stars_bot(db_settings, bot_api, tmp_path):
    """make(max_calls) → (app, send): an app whose cleanup reads at most ``max_calls``."""
    apps = []

    def make(max_calls: int = 50):
        folder = tmp_path / f"app{len(apps)}"
        folder.mkdir()
        app, client = make_app(db_settings, bot_api, tmp_path=folder, plugins_toml=(
            '[payments]\nstars_rub_per_star = "2.00"\nrefund_settle_after_s = 0\n'
            f'refund_reconcile_max_calls = {max_calls}\n'))
        apps.append(app)
        return app, (lambda update: exchange(client, bot_api, update))

    yield make
    for app in apps:
        app.close()


def paid(app, send, bot_api, charge_id: str, user_id: int = USER) -> None:
    """``user_id`` tops up 100 ₽ with 50 Stars (charge ``charge_id``)."""
    send(updates.callback(user_id, "pay:m:stars:100"))
    pay_stars(send, bot_api, user_id, invoice_for(bot_api, user_id)["payload"], 50, charge_id)
    assert app.db.fetch_one("SELECT status FROM payments WHERE external_id = %s", (charge_id,)) \
        == ("credited",)


def refund_without_answer(app, charge_id: str, *, telegram_refunds: bool) -> None:
    """An admin refunds ``charge_id`` and no answer comes back: Telegram refunded and the
    answer was lost, or genbot died before asking (``telegram_refunds=False``)."""
    real_call = app.telegram.call

    def call(method, params):
        if method != "refundStarPayment":
            return real_call(method, params)
        if telegram_refunds:
            real_call(method, params)
        raise requests.exceptions.ReadTimeout("read timed out")

    app.telegram.call = call
    try:
        assert refund_stars(app, charge_id, timeout_s=0.5) == "uncertain"
    finally:
        del app.telegram.call  # the class's own method again
    assert status_of(app, charge_id) == "refunding"


def status_of(app, charge_id: str) -> str:
    return app.db.fetch_one("SELECT status FROM payments WHERE external_id = %s", (charge_id,))[0]


def history(bot_api, count: int, *, days: int = 30) -> None:
    """``count`` older Stars payments of other users over the last ``days``, ending 2 h ago."""
    start = time.time() - days * DAY
    bot_api.add_star_transactions(count, first_date=start,
                                  seconds_apart=(days * DAY - 2 * 3600) / count)


def reads(bot_api) -> int:
    return len(bot_api.calls_to("getStarTransactions"))


def position(app) -> tuple:
    return app.db.fetch_one("SELECT scan_from, read_to, last_id, claimed_by FROM stars_record_position")


def search_bound(transactions: int) -> int:
    """Galloping to the refunds' place and halving back: 2·log2(n / 100) calls, a few more
    to read the end."""
    return 2 * math.ceil(math.log2(transactions / 100)) + 4


def test_a_refund_after_150000_older_transactions_is_settled_within_a_bounded_number_of_calls(
        stars_bot, bot_api):
    app, send = stars_bot()
    history(bot_api, 150_000)
    paid(app, send, bot_api, "refunded-late")
    paid(app, send, bot_api, "never-asked", user_id=USER + 1)
    refund_without_answer(app, "refunded-late", telegram_refunds=True)
    refund_without_answer(app, "never-asked", telegram_refunds=False)
    bot_api.add_star_transactions(250, first_date=time.time(), seconds_apart=0.01)  # after them
    # Telegram's record of both payments and of the one refund lies after 150 000 others.
    assert [(t["id"], "receiver" in t) for t in bot_api.stars.page(150_000, 3)] == [
        ("refunded-late", False), ("never-asked", False), ("refunded-late", True)]
    before = reads(bot_api)

    assert run_cleanup(app)["payments.uncertain_refunds_settled"] == 2
    calls = reads(bot_api) - before
    assert calls <= search_bound(150_000) <= 50, calls
    # Telegram returned the Stars: the roubles stay off the balance ...
    assert status_of(app, "refunded-late") == "refunded"
    assert app.balances.get(USER) == Decimal("0.00")
    # ... and a refund Telegram never made gives the roubles back, once everything from
    # its start to the end was read.
    assert status_of(app, "never-asked") == "credited"
    assert app.balances.get(USER + 1) == Decimal("100.00")
    assert position(app)[1] == 150_000 + 2 + 1 + 250  # read to the end, claim released
    assert position(app)[3] is None
    assert ledger_differences(app.db) == []


def test_the_next_cleanup_goes_on_from_the_remembered_position(stars_bot, bot_api, caplog):
    app, send = stars_bot()
    history(bot_api, 150_000)
    paid(app, send, bot_api, "first")
    refund_without_answer(app, "first", telegram_refunds=True)
    before = reads(bot_api)
    assert settle_uncertain_refunds(app, 0) == 1
    searched = reads(bot_api) - before

    # Later, another process (its own App: the position is in PostgreSQL) settles a new one.
    other, other_send = stars_bot()
    paid(other, other_send, bot_api, "second", user_id=USER + 1)
    bot_api.add_star_transactions(40, first_date=time.time(), seconds_apart=0)
    refund_without_answer(other, "second", telegram_refunds=False)
    before = reads(bot_api)
    assert run_cleanup(other)["payments.uncertain_refunds_settled"] == 1
    continued = reads(bot_api) - before
    assert continued == 1 < searched  # one page from the last transaction read: no search
    assert status_of(app, "second") == "credited"
    assert bot_api.calls_to("getStarTransactions")[-1]["offset"] == str(150_000 + 2 - 1)

    # A record that no longer shows the remembered transaction is searched afresh.
    app.db.execute("UPDATE stars_record_position SET last_id = 'not-there'")
    paid(app, send, bot_api, "third", user_id=USER + 2)
    refund_without_answer(app, "third", telegram_refunds=True)
    before = reads(bot_api)
    assert settle_uncertain_refunds(app, 0) == 1
    assert reads(bot_api) - before > continued
    assert "no longer shows not-there" in caplog.text
    assert status_of(app, "third") == "refunded"
    assert ledger_differences(app.db) == []


def test_a_refund_whose_record_was_not_read_to_its_end_gets_no_verdict(stars_bot, bot_api, caplog):
    app, send = stars_bot(max_calls=8)
    history(bot_api, 500)
    paid(app, send, bot_api, "never-asked")
    refund_without_answer(app, "never-asked", telegram_refunds=False)
    paid(app, send, bot_api, "refunded-late", user_id=USER + 1)
    bot_api.add_star_transactions(2_000, first_date=time.time(), seconds_apart=0)
    refund_without_answer(app, "refunded-late", telegram_refunds=True)  # at the very end
    app.db.execute("UPDATE payments SET updated_at = updated_at - INTERVAL '2 minutes'")  # doctor's age

    read_to = []
    for _cleanup in range(6):
        before = reads(bot_api)
        settled = run_cleanup(app)["payments.uncertain_refunds_settled"]
        assert reads(bot_api) - before <= 8  # the bound holds in every cleanup
        read_to.append(position(app)[1])
        if settled:
            break
        # Neither verdict is given on a record read only in part: the user keeps the
        # Stars returned or not, the roubles stay off, and doctor keeps warning.
        assert (status_of(app, "never-asked"), status_of(app, "refunded-late")) == \
            ("refunding", "refunding")
        assert app.balances.get(USER) == app.balances.get(USER + 1) == Decimal("0.00")
        [finding] = [f for f in run_checks(app.db, app.plugins, Migrator(app.db.settings), 60)
                     if f.check == "payments"]
        assert finding.severity == "warning" and "2 refund(s) with an unknown outcome" in finding.message
    assert "refund_reconcile_max_calls" in caplog.text and "stay 'refunding'" in caplog.text
    assert settled == 2 and len(read_to) > 2
    assert read_to == sorted(read_to) and read_to[-1] == 500 + 2 + 2_000 + 1
    assert (status_of(app, "never-asked"), status_of(app, "refunded-late")) == ("credited", "refunded")
    assert (app.balances.get(USER), app.balances.get(USER + 1)) == (Decimal("100.00"), Decimal("0.00"))
    assert ledger_differences(app.db) == []


def test_a_failed_call_gives_no_verdict(stars_bot, bot_api):
    app, send = stars_bot()
    paid(app, send, bot_api, "never-asked")
    refund_without_answer(app, "never-asked", telegram_refunds=False)
    bot_api.fail("getStarTransactions", 502)
    assert settle_uncertain_refunds(app, 0) == 0
    assert status_of(app, "never-asked") == "refunding"
    assert settle_uncertain_refunds(app, 0) == 1
    assert status_of(app, "never-asked") == "credited"


def ledger_of(app, charge_id: str) -> list[str]:
    return sorted(r[0] for r in app.db.fetch_all(
        "SELECT type FROM payment_transactions WHERE reason LIKE %s", (f"%{charge_id}%",)))


def refunds_of_unknown_outcome(app, send, bot_api, count: int) -> dict[str, str]:
    """``count`` payments whose refunds got no answer: what each should end as."""
    expected = {}
    for i in range(count):
        charge_id = f"stars-{i}"
        paid(app, send, bot_api, charge_id, user_id=USER + i)
        refund_without_answer(app, charge_id, telegram_refunds=i % 2 == 0)
        expected[charge_id] = "refunded" if i % 2 == 0 else "credited"
    return expected


def assert_each_settled_once(app, expected: dict[str, str]) -> None:
    for charge_id, status in expected.items():
        assert status_of(app, charge_id) == status
        # The top-up, one debit for the refund, one credit back only if it did not happen.
        assert ledger_of(app, charge_id) == (["deduction", "topup"] if status == "refunded"
                                             else ["deduction", "refund", "topup"]), charge_id
    assert ledger_differences(app.db) == []


def test_two_cleanups_at_once_settle_each_payment_once(stars_bot, bot_api):
    app, send = stars_bot()
    history(bot_api, 3_000)
    expected = refunds_of_unknown_outcome(app, send, bot_api, 6)
    bot_api.slow("getStarTransactions", 0.05)  # long enough for the two to overlap
    results, start = [], threading.Barrier(2)

    def cleanup():
        start.wait()
        results.append(settle_uncertain_refunds(app, 0))

    threads = [threading.Thread(target=cleanup) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [0, 6]  # one read the record; the other left it to it
    assert_each_settled_once(app, expected)


def test_a_cleanup_whose_claim_lapsed_settles_nothing_twice(stars_bot, bot_api, caplog):
    caplog.set_level(logging.INFO, "genbot.plugins.payments")
    app, send = stars_bot()
    expected = refunds_of_unknown_outcome(app, send, bot_api, 6)
    real_call = app.telegram.call
    stalled, go_on = threading.Event(), threading.Event()

    def call(method, params):
        answer = real_call(method, params)
        if threading.current_thread().name == "stalled":
            stalled.set()
            go_on.wait(30)  # it has read the whole record, and stalls before acting on it
        return answer

    app.telegram.call = call
    outcome = []
    first = threading.Thread(target=lambda: outcome.append(settle_uncertain_refunds(app, 0)),
                             name="stalled")
    first.start()
    try:
        assert stalled.wait(30)
        # Its claim lapses (a process stalled past it); another cleanup settles everything.
        app.db.execute("UPDATE stars_record_position SET claimed_until = NOW() - INTERVAL '1 second'")
        assert settle_uncertain_refunds(app, 0) == 6
    finally:
        go_on.set()
        first.join(30)
        del app.telegram.call
    assert outcome == [0]
    assert "another cleanup took over" in caplog.text
    assert_each_settled_once(app, expected)


def test_get_star_transactions_reads_its_arguments_as_telegram_does(bot_api):
    bot_api.add_star_transactions(150, first_date=time.time() - DAY)
    url = f"{bot_api.url}/bot123:x/getStarTransactions"

    def ids(**params):
        answer = requests.post(url, data=params, timeout=5)
        assert answer.status_code == 200, answer.text
        return [t["id"] for t in answer.json()["result"]["transactions"]]

    assert ids() == [f"bulk-{i}" for i in range(100)]  # oldest first, 100 by default
    assert ids(offset=120, limit=5) == [f"bulk-{i}" for i in range(120, 125)]
    assert ids(offset=140) == [f"bulk-{i}" for i in range(140, 150)]
    assert ids(offset=150) == []
    # Telegram's server clamps limit into 1-100 and reads a negative offset as 0.
    assert len(ids(limit=500)) == 100 and len(ids(limit=0)) == 1 and len(ids(limit="x")) == 1
    assert ids(offset=-5, limit=1) == ["bulk-0"]
    with pytest.raises(ValueError):  # the record is chronological
        bot_api.add_star_transactions(1, first_date=time.time() - 2 * DAY)
