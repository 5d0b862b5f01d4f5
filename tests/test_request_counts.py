"""Request counts count what was sent (issue 8 item 10): a request that never left this
machine (connect timeout, TLS failure, a CA file that cannot be loaded) is not counted."""

import pytest
import requests
import responses

from gigacheck.diagnosis import Finding
from tests.test_client import AUTH, client, token_body


@responses.activate
@pytest.mark.parametrize("fault, sent", [
    (requests.exceptions.ConnectTimeout("connect timeout"), 0),
    (requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), 0),
    (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), 0),
    (requests.exceptions.ReadTimeout("Read timed out."), 1),  # sent; the answer did not come in time
])
def test_oauth_is_counted_only_when_the_request_left(fault, sent):
    responses.post(AUTH, body=fault)
    c = client()
    with pytest.raises(Finding):
        c.token()
    assert c.requests_by_kind()["oauth"] == sent


@responses.activate
def test_a_ca_bundle_that_cannot_load_sends_nothing(tmp_path):
    responses.post(AUTH, json=token_body())
    c = client(GIGACHAT_CA_BUNDLE_FILE=str(tmp_path / "missing.pem"))
    with pytest.raises(Finding) as info:
        c.token()
    assert info.value.code == "GC012"
    assert c.requests_by_kind() == {"oauth": 0, "chat": 0, "files": 0} and len(responses.calls) == 0
