"""In a real browser: the interactive API docs load under the strict CSP and list the operations."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_api_docs_render_the_operations_without_csp_violations(page: Page, live_server):
    console_errors: list[str] = []
    page.on(
        "console", lambda message: message.type == "error" and console_errors.append(message.text)
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.add_init_script(RECORD_CSP_VIOLATIONS)

    response = page.goto(f"{live_server.url}/api/docs/")
    assert response is not None and response.ok
    assert "script-src 'self'" in response.headers["content-security-policy"]

    docs = page.locator("#swagger-ui")
    # The page fetches the schema, which is generated on request (1–2 s alone here, more
    # beside a busy test run): what is tested is that it renders, not how fast.
    expect(docs.locator(".opblock").first).to_be_visible(timeout=30_000)
    expect(docs).to_contain_text("Allyance API")
    expect(docs).to_contain_text("/api/v1/accounts/")
    # Swagger UI renders only the operations near the viewport: scroll until audit shows.
    audit = page.locator(".opblock-summary", has_text="/api/v1/audit/").first
    for _step in range(60):
        if audit.count():
            break
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(100)
    expect(docs).to_contain_text("/api/v1/audit/")

    audit.click()
    expect(docs.locator(".opblock-body").first).to_be_visible()

    assert page.evaluate("window.__cspViolations") == []
    assert console_errors == []
