"""Issue 22, a newcomer's first hour: the browser tests run with Debian's Chromium as it ships now (it refuses
a DevTools websocket that sends an Origin header, so ours send none) and skip, saying why and how to get it,
where Chromium or websocket-client is missing."""

import pytest

from tests.support import browser


def test_a_missing_chromium_is_a_skip_reason_that_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", str(tmp_path / "no-chromium"))
    why = browser.available()
    assert why == f"{tmp_path / 'no-chromium'} is not installed (apt-get install chromium)"


def test_the_browser_fixture_skips_with_that_reason(pytester, monkeypatch, tmp_path):
    import os
    repo = str(browser.Path(browser.__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("GIGACHECK_CHROMIUM", str(tmp_path / "no-chromium"))
    pytester.makeconftest("pytest_plugins = ['tests.support.browser']\n")
    pytester.makepyfile("def test_page(chromium):\n    assert chromium\n")
    result = pytester.runpytest_subprocess("-rs", "-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*browser tests need Debian's headless Chromium: *no-chromium is not installed "
                                 "(apt-get install chromium)*"])


def test_the_devtools_websockets_send_no_origin(monkeypatch):
    """Chromium 111+ rejects `Origin: http://127.0.0.1:...` on its DevTools socket; websocket-client sends one
    unless told not to."""
    websocket = pytest.importorskip("websocket", reason="websocket-client is a test extra")
    calls = []

    def fake_connect(url, **kw):
        calls.append(kw)
        raise ConnectionRefusedError("stop here")

    monkeypatch.setattr(websocket, "create_connection", fake_connect)
    b = browser.Chromium()
    b.port, b.profile = 1, None
    monkeypatch.setattr(browser.Chromium, "_browser_url", lambda self: "ws://127.0.0.1:1/devtools/browser/x")
    with pytest.raises(ConnectionRefusedError):
        b.open(browser.Path("/dev/null"))
    assert calls and all(kw.get("suppress_origin") is True for kw in calls)
