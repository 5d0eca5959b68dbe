"""The identity-verification client against the police simulator, over real HTTP on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from admit.accounts.documents import cn_id_check_char
from admit.accounts.verifier import (
    VERIFY_PATH,
    HttpIdentityVerifier,
    VerificationOutcome,
    VerificationResult,
    VerifierRefused,
    VerifierUnavailable,
)
from admit.core.signing import sign_params
from admit.sims.police import (
    MAX_SKEW_S,
    PoliceSimConfig,
    create_police_app,
    demo_population,
    load_population,
)

APP_ID, SECRET = "admit", "s3cret"
ZHANG = "11010519491231002" + cn_id_check_char("11010519491231002")
LI = "44010619900307123" + cn_id_check_char("44010619900307123")
NOBODY = "31010419800101001" + cn_id_check_char("31010419800101001")
POPULATION = {ZHANG: "张三", LI: "李四"}


@pytest.fixture
def police_url() -> Iterator[str]:
    """A fresh simulator per test (its billing and nonces start empty), served from a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    app = create_police_app(PoliceSimConfig(app_id=APP_ID, secret=SECRET, population=POPULATION))
    config = uvicorn.Config(
        app, lifespan="off", ws="none", log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    # Off the main thread uvicorn installs no signal handlers, so the test runner keeps its own.
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the police simulator did not start")
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
async def verifier(police_url: str) -> AsyncIterator[HttpIdentityVerifier]:
    async with HttpIdentityVerifier(police_url, APP_ID, SECRET, timeout=2.0) as client:
        yield client


async def _stats(url: str) -> dict[str, int]:
    async with httpx.AsyncClient() as http:
        stats: dict[str, int] = (await http.get(f"{url}/v1/_stats")).json()
        return stats


async def _control(url: str, **change: object) -> None:
    async with httpx.AsyncClient() as http:
        (await http.post(f"{url}/v1/_control", json=change)).raise_for_status()


def _signed_query(**overrides: object) -> dict[str, object]:
    query: dict[str, object] = {
        "app_id": APP_ID,
        "name": "张三",
        "id_number": ZHANG,
        "nonce": "n-1",
        "timestamp": int(time.time()),
    }
    query.update(overrides)
    query["sign"] = sign_params(query, SECRET)
    return query


# -- answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "number", "outcome"),
    [
        ("张三", ZHANG, VerificationOutcome.CONSISTENT),
        ("李四", LI.lower(), VerificationOutcome.CONSISTENT),
        ("李四", ZHANG, VerificationOutcome.INCONSISTENT),
        ("张三", NOBODY, VerificationOutcome.NO_SUCH_NUMBER),
    ],
)
async def test_the_service_answers_the_two_factor_check(
    verifier: HttpIdentityVerifier, name: str, number: str, outcome: VerificationOutcome
) -> None:
    result = await verifier.verify(name=name, id_number=number)

    assert result == VerificationResult(outcome=outcome, request_id=result.request_id, billed=True)
    assert len(result.request_id) == 32


async def test_every_answered_query_is_billed(
    verifier: HttpIdentityVerifier, police_url: str
) -> None:
    assert await _stats(police_url) == {"billed": 0, "queries": 0}

    first = await verifier.verify(name="张三", id_number=ZHANG)
    await verifier.verify(name="张三", id_number=ZHANG)
    await verifier.verify(name="王五", id_number=NOBODY)

    assert await _stats(police_url) == {"billed": 3, "queries": 3}
    assert first.billed is True


# -- refusals: signature, clock, replay ----------------------------------------------------------


async def test_a_wrong_secret_is_refused_and_not_billed(police_url: str) -> None:
    async with HttpIdentityVerifier(police_url, APP_ID, "not-the-secret") as wrong:
        with pytest.raises(VerifierRefused) as raised:
            await wrong.verify(name="张三", id_number=ZHANG)

    assert raised.value.code == "verifier_refused"
    assert raised.value.status == 503
    assert raised.value.details == {"status": 401, "answer": "bad_signature"}
    assert await _stats(police_url) == {"billed": 0, "queries": 1}


async def test_an_unknown_app_id_is_refused(police_url: str) -> None:
    async with HttpIdentityVerifier(police_url, "someone-else", SECRET) as stranger:
        with pytest.raises(VerifierRefused):
            await stranger.verify(name="张三", id_number=ZHANG)

    assert await _stats(police_url) == {"billed": 0, "queries": 1}


async def test_a_replayed_nonce_is_refused(police_url: str) -> None:
    query = _signed_query()
    async with httpx.AsyncClient(base_url=police_url) as http:
        first = await http.post(VERIFY_PATH, json=query)
        replay = await http.post(VERIFY_PATH, json=query)

    assert first.status_code == 200
    assert first.json()["result"] == "consistent"
    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "replayed_nonce"
    assert await _stats(police_url) == {"billed": 1, "queries": 2}


# A minute beyond the limit: a whole-second timestamp one second past it could land within it
# once truncated and compared with the service's clock a moment later (seen once in ~1,400).
@pytest.mark.parametrize("skew", [-MAX_SKEW_S - 60, MAX_SKEW_S + 60])
async def test_a_stale_or_future_timestamp_is_refused(police_url: str, skew: int) -> None:
    query = _signed_query(timestamp=int(time.time()) + skew)
    async with httpx.AsyncClient(base_url=police_url) as http:
        answer = await http.post(VERIFY_PATH, json=query)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "stale_timestamp"
    assert await _stats(police_url) == {"billed": 0, "queries": 1}


async def test_a_tampered_query_is_refused(police_url: str) -> None:
    query = _signed_query() | {"name": "李四"}
    async with httpx.AsyncClient(base_url=police_url) as http:
        answer = await http.post(VERIFY_PATH, json=query)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "bad_signature"


# -- faults: outage, failures, latency, no server ------------------------------------------------


async def test_an_outage_makes_the_verifier_unavailable_until_it_ends(
    verifier: HttpIdentityVerifier, police_url: str
) -> None:
    await _control(police_url, outage=True)
    with pytest.raises(VerifierUnavailable, match="failing") as raised:
        await verifier.verify(name="张三", id_number=ZHANG)
    assert raised.value.details == {"status": 503}

    await _control(police_url, outage=False)
    result = await verifier.verify(name="张三", id_number=ZHANG)

    assert result.outcome is VerificationOutcome.CONSISTENT
    assert await _stats(police_url) == {"billed": 1, "queries": 2}


async def test_failures_answer_500_for_the_next_queries_only(
    verifier: HttpIdentityVerifier, police_url: str
) -> None:
    await _control(police_url, fail_next=2)

    for _ in range(2):
        with pytest.raises(VerifierUnavailable) as raised:
            await verifier.verify(name="张三", id_number=ZHANG)
        assert type(raised.value) is VerifierUnavailable
        assert raised.value.details == {"status": 500}
    result = await verifier.verify(name="张三", id_number=ZHANG)

    assert result.outcome is VerificationOutcome.CONSISTENT
    assert await _stats(police_url) == {"billed": 1, "queries": 3}


async def test_an_answer_slower_than_the_timeout_makes_the_verifier_unavailable(
    police_url: str,
) -> None:
    await _control(police_url, latency_ms=400)
    async with HttpIdentityVerifier(police_url, APP_ID, SECRET, timeout=0.1) as impatient:
        with pytest.raises(VerifierUnavailable, match="timed out"):
            await impatient.verify(name="张三", id_number=ZHANG)
    async with HttpIdentityVerifier(police_url, APP_ID, SECRET, timeout=2.0) as patient:
        result = await patient.verify(name="张三", id_number=ZHANG)

    assert result.outcome is VerificationOutcome.CONSISTENT


async def test_no_server_makes_the_verifier_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with HttpIdentityVerifier(f"http://127.0.0.1:{port}", APP_ID, SECRET) as nowhere:
        with pytest.raises(VerifierUnavailable, match="unreachable"):
            await nowhere.verify(name="张三", id_number=ZHANG)


# -- answers the client must not trust (a fake service on a mock transport) ----------------------


Tamper = Callable[[dict[str, object]], httpx.Response]


def _answering(tamper: Tamper) -> httpx.AsyncClient:
    """A fake service whose well-signed answer to the query passes through ``tamper``."""

    def handler(request: httpx.Request) -> httpx.Response:
        answer: dict[str, object] = {
            "request_id": "r-1",
            "nonce": json.loads(request.content)["nonce"],
            "result": "inconsistent",
            "billed": True,
        }
        answer["sign"] = sign_params(answer, SECRET)
        return tamper(answer)

    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


def _resigned(answer: dict[str, object], **changes: object) -> httpx.Response:
    changed = answer | changes
    return httpx.Response(200, json=changed | {"sign": sign_params(changed, SECRET)})


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda a: httpx.Response(200, json=a | {"result": "consistent"}), "not validly signed"),
        (lambda a: httpx.Response(200, json=a | {"sign": "0" * 64}), "not validly signed"),
        (lambda a: httpx.Response(200, json=[a]), "not validly signed"),
        (lambda a: httpx.Response(200, text="<html>busy</html>"), "not JSON"),
        (lambda a: _resigned(a, nonce="an-older-query"), "another request"),
        (lambda a: _resigned(a, result="maybe"), "malformed"),
        (lambda a: _resigned(a, billed="yes"), "malformed"),
        (lambda a: httpx.Response(418, json={"error": "teapot"}), "refused"),
    ],
)
async def test_untrustworthy_answers_make_the_verifier_unavailable(
    tamper: Tamper, problem: str
) -> None:
    fake = _answering(tamper)
    verifier = HttpIdentityVerifier("http://police.test", APP_ID, SECRET, client=fake)
    with pytest.raises(VerifierUnavailable, match=problem):
        await verifier.verify(name="张三", id_number=ZHANG)

    await verifier.aclose()
    assert not fake.is_closed  # a client passed in belongs to the caller
    await fake.aclose()


# -- simulator data ------------------------------------------------------------------------------


def test_the_demo_population_is_deterministic_with_valid_numbers() -> None:
    people = demo_population(50, seed=7)

    assert people == demo_population(50, seed=7)
    assert people != demo_population(50, seed=8)
    assert len(people) == 50
    assert all(cn_id_check_char(n[:17]) == n[17] for n in people)


def test_a_population_file_is_read_with_or_without_header(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"id_number,name\n{ZHANG.lower()}, 张三\n\n{LI},李四\n", encoding="utf-8")

    assert load_population(path) == POPULATION


@pytest.mark.parametrize(
    ("text", "problem"),
    [(f"{ZHANG}\n", "1: expected id_number,name"), (f"{ZHANG},a\n{ZHANG},b\n", "2: .* twice")],
)
def test_a_malformed_population_file_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ValueError, match=problem):
        load_population(path)
