"""The provider contract as tests: what ``core/generation/contract.py`` says every provider does.

A provider's own test module subclasses ``ProviderConformance`` (its name starting with
``Test`` so pytest collects it) and gives a ``scenario`` fixture: a function that takes
one of ``BEHAVIOURS`` and returns a ``Scenario`` — a provider (what its
``generation_providers`` hook returns) and one of its models, set up so that the service
behind it (a stand-in) will do exactly that::

    class TestMyProviderConformance(ProviderConformance):
        @pytest.fixture
        def scenario(self, my_standin):
            def make(behaviour):
                my_standin.script(behaviour)
                return Scenario(make_provider(my_standin.url), model, {"prompt": "a cat"},
                                remote_cancelled=lambda: my_standin.cancelled)
            return make

The behaviours:

- ``succeed`` — the service answers with a result: ``generate`` returns it;
- ``fail`` — the service refuses the request: ``GenerationFailed`` with a code and a
  reason from ``REASONS``;
- ``hang`` — the service never finishes: ``GenerationTimeout`` by the deadline, and
  ``FinishedElsewhere`` soon after the job is ended elsewhere (a cancel), the remote
  work cancelled too where the service can (``remote_cancelled``);
- ``busy`` — the service answers 429 with ``Retry-After`` once, then succeeds;
- ``down`` — the service answers a 5xx once, then succeeds.

An offline provider has no service to be busy or down: its class sets those two tests
to ``None`` (``test_rides_out_a_rate_limit = None``), which removes them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from core.generation.catalog import Model
from core.generation.contract import (
    REASONS,
    FinishedElsewhere,
    GenerationFailed,
    GenerationOutput,
    GenerationRequest,
    GenerationTimeout,
    Provider,
)
from genbot.testing.waiting import wait_until

BEHAVIOURS = ("succeed", "fail", "hang", "busy", "down")
KINDS = {"image": ("image",), "video": ("video", "animation"), "audio": ("audio",),
         "text": ("text",)}
# How much later than the deadline (or the cancel) a provider may notice it: one poll.
SLACK_S = 3.0


@dataclass
class Scenario:
    provider: Provider
    model: Model
    inputs: dict
    # True once the service was told to stop the remote work (None: it cannot be).
    remote_cancelled: Callable[[], bool] | None = None
    job_id: int = 1
    task_ids: list = field(default_factory=list)
    streamed: list = field(default_factory=list)

    def request(self, *, timeout_s: float = 30.0, finished: Callable[[], bool] = lambda: False):
        return GenerationRequest(
            job_id=self.job_id, user_id=1, model=self.model, inputs=self.inputs,
            deadline=time.monotonic() + timeout_s, finished=finished,
            set_task_id=self.task_ids.append, stream=self.streamed.append)

    def generate(self, **request) -> GenerationOutput:
        return self.provider.generate(self.request(**request))


def check_output(output, model) -> None:
    """A result the delivery can send: of the model's kind, with something in it."""
    assert isinstance(output, GenerationOutput), f"generate returned {output!r}"
    assert output.kind in KINDS[model.category], (output.kind, model.category)
    if output.kind == "text":
        assert output.text and output.text.strip()
    else:
        assert output.files or output.urls, "a media result with neither files nor urls"
        assert all(url.startswith(("https://", "http://")) for url in output.urls)
        assert all(f.data and "/" in f.mime for f in output.files)
    if output.usage is not None:
        assert output.usage.input_tokens >= 0 and output.usage.output_tokens >= 0


class ProviderConformance:
    """Every provider's promises; subclass with a ``scenario`` fixture (see above)."""

    def test_succeeds_with_an_output_of_its_kind(self, scenario):
        case = scenario("succeed")
        assert isinstance(case.provider.name, str) and case.provider.name
        assert isinstance(getattr(case.provider, "offline", False), bool)
        output = case.generate()
        check_output(output, case.model)
        if case.streamed:  # what the user saw grew into what is stored and charged
            assert output.text.startswith(case.streamed[-1])
            assert all(b.startswith(a) for a, b in zip(case.streamed, case.streamed[1:], strict=False))

    def test_a_refusal_is_a_failure_with_a_code_and_a_reason(self, scenario):
        case = scenario("fail")
        with pytest.raises(GenerationFailed) as failure:
            case.generate()
        assert not isinstance(failure.value, GenerationTimeout)
        assert failure.value.code and failure.value.message
        assert failure.value.reason in REASONS

    def test_gives_up_by_the_deadline(self, scenario):
        case = scenario("hang")
        started = time.monotonic()
        with pytest.raises(GenerationTimeout):
            case.generate(timeout_s=1.5)
        assert time.monotonic() - started < 1.5 + SLACK_S

    def test_stops_when_the_job_is_finished_elsewhere(self, scenario):
        case = scenario("hang")
        ended = threading.Event()
        outcome: list = []

        def work():
            try:
                outcome.append(case.generate(timeout_s=60, finished=ended.is_set))
            except BaseException as exc:  # noqa: BLE001 - handed to the test thread
                outcome.append(exc)

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        if case.remote_cancelled is not None:  # there is remote work to cancel once it exists
            wait_until(lambda: case.task_ids or not worker.is_alive(), 10, "no task was created")
        else:
            time.sleep(0.3)  # at work, most likely; ending before it starts must stop it too
        ended.set()
        worker.join(SLACK_S + 2)
        assert not worker.is_alive(), "generate went on after the job was finished elsewhere"
        assert isinstance(outcome[0], FinishedElsewhere), outcome
        if case.remote_cancelled is not None:
            assert wait_until(case.remote_cancelled, timeout=5), "the remote work was not cancelled"

    def test_rides_out_a_rate_limit(self, scenario):
        case = scenario("busy")
        check_output(case.generate(), case.model)

    def test_rides_out_a_server_error(self, scenario):
        case = scenario("down")
        check_output(case.generate(), case.model)
