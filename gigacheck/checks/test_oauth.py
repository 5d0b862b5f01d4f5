"""Does OAuth exchange the key for an access token?"""

import pytest

from gigacheck.diagnosis import skip_reason
from gigacheck.words import say

pytestmark = pytest.mark.oauth


def test_does_oauth_give_a_usable_token(gigachat, gigachat_settings):
    if gigachat_settings.access_token:
        pytest.skip(skip_reason("GC023", say("skip.oauth_not_called")))
    token = gigachat.token()
    assert token, "OAuth answered an empty token"  # parse_oauth already rejects it; kept as the question's answer
