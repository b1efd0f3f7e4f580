"""The GraphiQL page, parsed."""

from __future__ import annotations

from html.parser import HTMLParser

HTML = {"Accept": "text/html"}


class PageParser(HTMLParser):
    """Every src/href on the page, the loaded scripts and stylesheets, and
    the inline script blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.assets: list[dict[str, str | None]] = []
        self.inline_scripts: list[dict[str, str | None]] = []
        self.text_of: dict[str, str] = {}
        self._in_script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v is not None]
        if tag == "script" and attributes.get("src"):
            self.assets.append(attributes)
        elif tag == "script":
            self._in_script = attributes
            self.inline_scripts.append(attributes)
        if tag == "link" and attributes.get("rel") == "stylesheet":
            self.assets.append(attributes)

    def handle_data(self, data: str) -> None:
        if self._in_script is not None and self._in_script.get("id"):
            key = str(self._in_script["id"])
            self.text_of[key] = self.text_of.get(key, "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None
