"""Fuzzing the OpenAPI spec (schemathesis, hypothesis-driven): no input gives a 5xx, and every
error is JSON of one shape; malformed or oversized inputs get a 4xx with a clear message.

Every operation of ``/openapi.json`` gets up to ``EXAMPLES`` generated cases (positive and
negative: wrong types, missing fields, out-of-range values, odd Unicode, huge integers, NaN),
half sent as a station planner and half as a partner admin, on SQLite and on PostgreSQL. Jobs
are recorded but not started. The number of cases sent is printed (``-s``).
"""

from __future__ import annotations

import json
import os

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402

from .conftest import make_portal, seed  # noqa: E402

#: Cases per operation and mode; raise it for a deeper run (MOONBASE_FUZZ_EXAMPLES=200).
EXAMPLES = int(os.environ.get("MOONBASE_FUZZ_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def fuzz_portal(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'portal.sqlite3'}"
    app, client = make_portal(url, start_jobs=False)
    with client:
        tokens = seed(app.state.sessions)
        yield app, client, tokens


@pytest.fixture
def any_portal(db_url):
    app, client = make_portal(db_url, start_jobs=False, auth_failures=10**6)
    with client:
        yield app, client, seed(app.state.sessions)


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_input_gives_a_server_error(any_portal, mode):
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable

    app, _client, tokens = any_portal
    sent = [0]
    api = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            who = "planner" if len(repr(case.body)) % 2 else "cnsa_admin"
            headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[who]}"}
            response = case.call(headers=headers)
            sent[0] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")
            elif response.status_code >= 400:
                kind = response.headers.get("content-type") or [""]
                assert (kind if isinstance(kind, str) else kind[0]) == "application/json", case
                body = response.json()
                assert isinstance(body["message"], str) and body["message"], body
                assert all({"loc", "msg"} <= set(d) for d in body["detail"]), body

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters and no body)
            assert mode == "negative", operation.label
    print(f"{mode}: {sent[0]} cases on {len(operations)} operations, {len(failures)} server errors")
    assert sent[0] >= 3 * len(operations)
    assert failures == []


def test_malformed_and_oversized_inputs_get_clear_4xx(fuzz_portal):
    _app, client, tokens = fuzz_portal
    h = {"Authorization": f"Bearer {tokens['cnsa']}", "Content-Type": "application/json"}
    cases = [
        (b"{not json", 422, "JSON"),
        (b"[]", 422, "dictionary"),
        (b'{"title": 5}', 422, "title"),
        (json.dumps({"title": "x" * 201}).encode(), 422, "title"),
        (b"x" * (600 * 1024), 413, "byte limit"),
        (b"[" * 200_000 + b"]" * 200_000, 400, "nested too deeply"),
    ]
    for body, status, words in cases:
        response = client.post("/api/requests", content=body, headers=h)
        assert response.status_code == status, (body[:40], response.text[:300])
        assert words in response.text, response.text[:300]

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(40):
            yield b" " * 32768

    streamed = client.post("/api/requests", content=chunks(), headers=h)
    assert streamed.status_code == 413
    nul = client.post(
        "/api/requests",
        headers=h,
        content=json.dumps(
            {
                "title": "a\x00b",
                "instrument": "x",
                "duration_h": 1,
                "power_w": 1,
                "data_gb": 1,
                "earliest": "2031-01-01",
                "latest": "2031-01-02",
            }
        ).encode(),
    )
    assert nul.status_code == 422 and "NUL" in nul.json()["message"]
    huge_id = client.get("/api/requests/99999999999999999999", headers=h)
    assert huge_id.status_code == 422
    bad_query = client.get("/api/requests?status=lost", headers=h)
    assert bad_query.status_code == 422 and "status" in bad_query.json()["message"]
