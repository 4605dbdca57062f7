"""The membership terms and privacy policy as pages a customer opens from the join form: `/legal/terms`
and `/legal/privacy` (zh-CN, `?lang=en`; `?version=` shows a version a customer accepted before)."""

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter

from ..api.deps import StoreDep
from ..api.params import PathId
from ..domain.errors import NotFound
from ..services import policies
from .web import lang_of, message, page

Document = Literal["terms", "privacy"]


def blocks(text: str) -> list[tuple[str, str]]:
    """("h2" | "p" | "li", text) blocks of a policy text: "## " headings, "- " items, blank-line paragraphs.
    The page escapes every one of them: a store's text is shown, never run."""
    out: list[tuple[str, str]] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        for line in chunk.strip().split("\n") if chunk.lstrip().startswith(("## ", "- ")) else [chunk.strip()]:
            line = line.strip()
            if not line:
                continue
            if line.startswith("## "):
                out.append(("h2", line[3:].strip()))
            elif line.startswith("- "):
                out.append(("li", line[2:].strip()))
            else:
                out.append(("p", " ".join(x.strip() for x in line.split("\n"))))
    return out


class PolicyPages(Controller):
    path = "/legal"
    include_in_schema = False

    @get("/{document:str}", sync_to_thread=False)
    def show(self, request: Request, store: StoreDep, document: PathId,
             version: Annotated[str | None, QueryParameter(name="version", max_length=32)] = None) -> Response[str]:
        lang = lang_of(request)
        if document not in ("terms", "privacy"):
            return message(store, lang, 404, "refused", "no-such-page", body_key="refused_tampered")
        try:
            policy = policies.version(store, version) if version else policies.current(store)
        except NotFound:
            return message(store, lang, 404, "refused", "no-such-version", body_key="refused_tampered")
        text = getattr(policy, f"{document}_{lang}")
        return page("policy.html", 200, lang, headers={"Cache-Control": "public, max-age=300"},
                    store_name=store.config.name, document=document, version=policy.version,
                    published_at=policy.published_at, blocks=blocks(text))
