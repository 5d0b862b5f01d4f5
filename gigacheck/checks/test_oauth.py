"""Does OAuth exchange the key for an access token?"""

import pytest

from gigacheck.diagnosis import skip_reason
from gigacheck.words import say

pytestmark = pytest.mark.oauth


def test_does_oauth_give_a_usable_token(gigachat, gigachat_settings, gigacheck_lang):
    if gigachat_settings.access_token:
        pytest.skip(skip_reason("GC023", "OAuth is not called: GIGACHAT_ACCESS_TOKEN is set"))
    if gigachat_settings.auth_method in ("password", "mtls"):
        pytest.skip(skip_reason("GC023", say("skip.no_oauth." + gigachat_settings.auth_method, gigacheck_lang)))
    token = gigachat.token()
    assert token, "OAuth answered an empty token"  # parse_oauth already rejects it; kept as the question's answer


def test_does_password_auth_give_a_usable_token(gigachat, gigachat_settings):
    if gigachat_settings.auth_method != "password":
        return  # the site does not use it: nothing to check
    assert gigachat.token(), "POST /token answered an empty token"  # the client rejects it first; the answer
