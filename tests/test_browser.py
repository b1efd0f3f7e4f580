"""GraphiQL and a cross-origin frontend, driven in headless Chromium.

The app runs on a real server on a free port. The first test opens
GraphiQL, sets a query and an Authorization header in the headers pane,
runs it and reads the result pane; it fails if the page requests anything
from another host or breaks its content security policy. The second plays a
frontend on other localhost ports calling /graphql with fetch: an origin in
CORS_ORIGINS gets the answer, any other is blocked by the browser.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them);
skipped without them, except under CI, where that is a failure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.browsing import CHROMEDRIVER, CHROMIUM

MISSING = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(path)]
if MISSING:
    reason = (
        f"the browser tests need Debian's chromium and chromium-driver "
        f"({', '.join(MISSING)} not found): "
        "apt-get install -y chromium chromium-driver"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)

from selenium.webdriver.chrome.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from tests.support.browsing import EMAIL, WAIT_SECONDS  # noqa: E402

# A frontend on another origin: calls the API with fetch and shows the
# answer, or the error the browser gives it.
FRONTEND_PAGE = """<!doctype html>
<meta charset="utf-8">
<title>frontend</title>
<pre id="out">pending</pre>
<script>
  const show = (text) => { document.getElementById("out").textContent = text; };
  fetch(API_URL, {
    method: "POST",
    headers: {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN},
    body: JSON.stringify({query: "{ me { email } }"}),
  })
    .then((response) => response.json())
    .then((body) => show("result: " + JSON.stringify(body)))
    .catch((error) => show("error: " + error.name + ": " + error.message));
</script>
"""
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADER_EDITOR = '[aria-label="Headers"] .graphiql-editor:not(.hidden) .CodeMirror'
RESULT = ".graphiql-response .CodeMirror"
SETTINGS_BUTTON = '[aria-label="Open settings dialog"]'


def requested_urls(driver: WebDriver) -> list[str]:
    """Every URL the page asked for since the log was last read."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], Any]) -> Any:
    return WebDriverWait(driver, WAIT_SECONDS).until(condition)


def set_editor(driver: WebDriver, selector: str, value: str) -> None:
    """Set a GraphiQL editor's text, as typing it would."""
    driver.execute_script(
        "document.querySelector(arguments[0]).CodeMirror.setValue(arguments[1]);",
        selector,
        value,
    )


def editor_text(driver: WebDriver, selector: str) -> str:
    text: str = driver.execute_script(
        "const editor = document.querySelector(arguments[0]);"
        "return editor ? editor.CodeMirror.getValue() : '';",
        selector,
    )
    return text


def test_graphiql_runs_an_authenticated_query_with_nothing_from_another_host(
    browser: WebDriver, api_origin: str, browser_token: str
) -> None:
    browser.get_log("performance")  # start from an empty log
    browser.get(f"{api_origin}/graphql")
    urls = requested_urls(browser)
    assert [url for url in urls if not is_local(url, api_origin)] == []
    assert f"{api_origin}/static/graphiql/graphiql.min.js" in urls
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, QUERY_EDITOR))

    set_editor(browser, QUERY_EDITOR, "{ me { email } }")
    browser.find_element(By.XPATH, "//button[normalize-space()='Headers']").click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, HEADER_EDITOR))
    set_editor(
        browser, HEADER_EDITOR, json.dumps({"Authorization": f"Bearer {browser_token}"})
    )
    browser.find_element(By.CSS_SELECTOR, "button.graphiql-execute-button").click()

    result = wait_for(browser, lambda d: editor_text(d, RESULT))
    assert json.loads(result) == {"data": {"me": {"email": EMAIL}}}
    assert [
        url for url in requested_urls(browser) if not is_local(url, api_origin)
    ] == []
    assert [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] in ("SEVERE", "WARNING")
    ] == []
    # A dialog adds a <style> element; the page's policy lets it.
    browser.find_element(By.CSS_SELECTOR, SETTINGS_BUTTON).click()
    wait_for(browser, lambda d: d.find_elements(By.CSS_SELECTOR, '[role="dialog"]'))
    assert [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["source"] == "security"
    ] == []
    assert [
        url for url in requested_urls(browser) if not is_local(url, api_origin)
    ] == []


def is_local(url: str, origin: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or (
        f"{parts.scheme}://{parts.netloc}" == origin
    )


@pytest.mark.parametrize(
    ("frontend", "shown"),
    [
        pytest.param(
            "allowed_frontend",
            'result: {"data":{"me":{"email":"' + EMAIL + '"}}}',
            id="allowed-origin",
        ),
        pytest.param(
            "other_frontend", "error: TypeError: Failed to fetch", id="other-origin"
        ),
    ],
)
def test_a_frontend_on_another_origin_is_answered_only_when_allowed(
    request: pytest.FixtureRequest,
    browser: WebDriver,
    api_origin: str,
    browser_token: str,
    frontend_dir: Path,
    frontend: str,
    shown: str,
) -> None:
    origin: str = request.getfixturevalue(frontend)
    page = FRONTEND_PAGE.replace(
        "API_URL", json.dumps(f"{api_origin}/graphql")
    ).replace("TOKEN", json.dumps(str(browser_token)))
    (frontend_dir / "index.html").write_text(page, encoding="utf-8")

    browser.get(f"{origin}/index.html")
    text = wait_for(
        browser,
        lambda d: (t := d.find_element(By.ID, "out").text) != "pending" and t,
    )

    assert text == shown
