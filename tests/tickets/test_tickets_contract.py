"""The Jira fake's traffic against Atlassian's OpenAPI document, and our ADF against the schema
that ``@atlaskit/adf-schema`` ships -- so the fake cannot drift from the real API unnoticed."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from werkzeug.datastructures import Headers, ImmutableMultiDict

from residency_audit.model import ScopeStatus, Severity

from .conftest import ADF_SCHEMA, JIRA, JIRA_OPENAPI, FakeJira, config, finding, scan


class _Req:
    def __init__(self, request: httpx.Request) -> None:
        from openapi_core.datatypes import RequestParameters

        self._r = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(request.url.query.decode())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    host_url = property(lambda self: f"{self._r.url.scheme}://{self._r.url.host}")
    path = property(lambda self: self._r.url.path)
    method = property(lambda self: self._r.method.lower())
    body = property(lambda self: self._r.content or None)
    content_type = property(lambda self: self._r.headers.get("content-type", "application/json"))


class _Resp:
    def __init__(self, response: httpx.Response) -> None:
        self._r = response

    status_code = property(lambda self: self._r.status_code)
    data = property(lambda self: self._r.content or None)
    headers = property(lambda self: Headers(dict(self._r.headers)))
    content_type = property(lambda self: self._r.headers.get("content-type", "application/json"))


@pytest.fixture(scope="session")
def jira_openapi() -> Any:
    if not JIRA_OPENAPI.exists():
        pytest.skip(
            f"Atlassian's Jira OpenAPI document is not at {JIRA_OPENAPI} (../shared/reference)"
        )
    from openapi_core import Config, OpenAPI

    spec = json.loads(JIRA_OPENAPI.read_text(encoding="utf-8"))
    # the document itself does not pass strict validation; we check traffic, not the document
    api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
    api.raw = spec
    return api


def _declares_204(spec: dict[str, Any], request: httpx.Request) -> bool:
    template = re.sub(r"^(/rest/api/3/issue)/[^/]+", r"\1/{issueIdOrKey}", request.url.path)
    op = spec["paths"].get(template, {}).get(request.method.lower(), {})
    return "204" in op.get("responses", {})


def _lifecycle(sync: Any, fake: FakeJira) -> None:
    cfg = config(jira=JIRA, lang="en")
    a1, b1 = finding("alpha"), finding("beta", severity=Severity.CRITICAL)
    fake.throttle = 1
    sync(scan("s1", [a1, b1, finding("gamma")]), cfg, fake)
    sync(scan("s2", [a1, finding("alpha", region="cn-north-1"), b1]), cfg, fake)
    sync(scan("s3", [b1], scopes={"111111111111": ScopeStatus.INCOMPLETE}), cfg, fake)
    sync(scan("s4", [b1]), cfg, fake)
    sync(scan("s5", [a1, b1]), cfg, fake)


def test_jira_fake_traffic_matches_the_openapi_document(sync: Any, jira_openapi: Any) -> None:
    fake = FakeJira(lag=1)
    _lifecycle(sync, fake)
    seen = set()
    for request, response in fake.exchanges:
        req = _Req(request)
        jira_openapi.validate_request(req)
        if response.status_code == 204:  # Jira sends no body; the document declares `{}`
            assert _declares_204(jira_openapi.raw, request), request.url.path
        elif response.status_code != 429:  # the document does not list 429s
            jira_openapi.validate_response(req, _Resp(response))
        seen.add((request.method, request.url.path.rsplit("/", 1)[-1]))
    # every call the sink makes was checked
    assert {
        ("POST", "jql"),
        ("POST", "issue"),
        ("POST", "comment"),
        ("GET", "transitions"),
        ("POST", "transitions"),
    } <= seen


def test_a_wrong_request_would_be_caught(jira_openapi: Any) -> None:
    from openapi_core.exceptions import OpenAPIError

    bad = httpx.Request(
        "POST",
        "https://your-domain.atlassian.net/rest/api/3/search/jql",
        json={"jql": "project = RA", "startAt": 5},  # startAt is not accepted any more
        headers={"Authorization": "Basic eDp5"},
    )
    with pytest.raises(OpenAPIError):
        jira_openapi.validate_request(_Req(bad))


def test_adf_bodies_match_the_atlaskit_schema(sync: Any, ci: bool) -> None:
    if not ADF_SCHEMA.exists():
        if ci:
            pytest.fail(f"{ADF_SCHEMA} is missing: run `npm ci` (@atlaskit/adf-schema)")
        pytest.skip(f"ADF schema not installed at {ADF_SCHEMA}: run `npm ci`")
    import jsonschema

    schema = json.loads(ADF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    fake = FakeJira()
    _lifecycle(sync, fake)
    docs = [i.fields["description"] for i in fake.issues.values()]
    docs += [c for i in fake.issues.values() for c in i.comments]
    assert len(docs) >= 6
    for doc in docs:
        errors = sorted(validator.iter_errors(doc), key=str)
        assert not errors, errors[0].message
    # and the schema is strict enough to catch a plain string
    assert list(validator.iter_errors({"type": "doc", "version": 1, "content": ["text"]}))
