"""`python -m demo` with the platform down, or part of it: one line, exit status 2, no traceback."""

from __future__ import annotations

import httpx
import pytest

from demo import __main__ as demo
from demo import readiness

pytestmark = pytest.mark.unit

URLS = {
    "intake": "http://intake.test",
    "cases": "http://cases.test",
    "waste": "http://waste.test",
}


def platform(answers: dict[str, int | None]) -> httpx.AsyncClient:
    """A platform whose hosts answer these statuses (None: nothing listens there)."""

    def answer(request: httpx.Request) -> httpx.Response:
        status = answers[request.url.host.removesuffix(".test")]
        if status is None:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_services_must_be_ready_and_simulators_must_answer() -> None:
    async with platform({"intake": 200, "cases": 200, "waste": 404}) as http:
        assert await readiness.not_ready(URLS, http) == []
    async with platform({"intake": 200, "cases": 503, "waste": None}) as http:
        missing = await readiness.not_ready(URLS, http)
    assert missing == [
        "cases (not ready: http://cases.test/readyz answered 503)",
        "waste (not running at http://waste.test)",
    ]
    async with platform({"intake": 200, "cases": 503, "waste": None}) as http:
        line = await readiness.refusal(URLS, http)
    assert (
        line is not None
        and line.startswith("the platform is not ready: cases (not ready")
        and "make up" in line
    )


async def test_nothing_answering_is_the_platform_not_running() -> None:
    async with platform(dict.fromkeys(URLS)) as http:
        assert await readiness.refusal(URLS, http) == (
            "the platform is not running; start it with `make up` (or `make run` in another "
            "terminal), then run `make demo`"
        )


def test_the_command_says_so_in_one_line_and_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing_runs() -> str | None:
        async with platform(dict.fromkeys(URLS)) as http:
            return await readiness.refusal(URLS, http)

    monkeypatch.setattr(demo, "platform_refusal", nothing_runs)
    assert demo.cli([]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("python -m demo: error: the platform is not running; ")
    assert captured.err.count("\n") == 1 and captured.out == ""

    with pytest.raises(SystemExit) as exit_:
        demo.cli(["teleport"])
    assert exit_.value.code == 2
    assert "no flow 'teleport'" in capsys.readouterr().err
