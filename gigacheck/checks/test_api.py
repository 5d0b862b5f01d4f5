"""Does the API answer with the token, and does it serve the configured models?"""

import difflib
from urllib.parse import quote

import pytest

from gigacheck.diagnosis import Finding
from gigacheck.words import say

pytestmark = pytest.mark.api


def test_does_the_models_list_answer_with_the_token(gigachat):
    models = gigachat.models()
    if not models:
        raise Finding("GC028", say("api.empty_list"), subject="api")


def test_is_every_configured_model_served(gigachat, model):
    served = [m["id"] for m in gigachat.models()]
    if model in served:
        return
    evidence = []
    try:  # the API's own word on this name, for the report
        gigachat.api("GET", f"/models/{quote(model, safe='')}", subject=model)
        return  # served, though not listed
    except Finding as finding:
        if finding.code not in ("GC032", "GC030"):
            raise
        evidence = list(finding.evidence)
    closest = difflib.get_close_matches(model, served, n=3, cutoff=0.5) or served[:3]
    raise Finding("GC032", say("api.not_served", model=repr(model), closest=", ".join(closest)),
                  evidence + [say("api.served", models=", ".join(served))], subject=model)
