"""Does OAuth exchange the key for an access token (or, for the SDK's password authentication,
does POST /token give one)?"""

import pytest

from gigacheck.diagnosis import skip_reason
from gigacheck.words import say

pytestmark = pytest.mark.oauth


def test_does_oauth_give_a_usable_token(gigachat, gigachat_settings, gigacheck_lang):
    if gigachat_settings.access_token:
        pytest.skip(skip_reason("GC023", say("skip.oauth_not_called")))
    if gigachat_settings.auth_method == "mtls":
        pytest.skip(skip_reason("GC023", say("skip.no_oauth.mtls", gigacheck_lang)))
    # the key's OAuth, or the password's POST /token: the way the site's SDK gets its token
    token = gigachat.token()
    assert token, "OAuth answered an empty token"  # the client already rejects it; kept as the question's answer
