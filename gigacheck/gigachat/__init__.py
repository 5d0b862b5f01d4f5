"""GigaChat itself: the HTTP client, the mock (recorded answers), generation and the fallback provider."""
