"""Can this machine reach the GigaChat hosts over verified TLS?"""

import pytest

from gigacheck.diagnosis import skip_reason
from gigacheck.words import say

pytestmark = pytest.mark.network


def test_can_the_auth_host_be_reached_over_verified_tls(gigachat, gigachat_settings, gigacheck_lang):
    if gigachat_settings.access_token:
        pytest.skip(skip_reason("GC020", say("skip.oauth_not_called")))
    if gigachat_settings.auth_method in ("password", "mtls"):
        pytest.skip(skip_reason("GC020", say("skip.no_oauth." + gigachat_settings.auth_method, gigacheck_lang)))
    gigachat.probe_auth()


def test_can_the_api_host_be_reached_over_verified_tls(gigachat):
    gigachat.probe_api()
