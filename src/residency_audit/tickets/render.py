"""Render a :class:`Doc` as Atlassian Document Format, Jira wiki markup, Markdown or plain text.

Untrusted text never becomes markup: ADF carries it in text nodes; wiki markup and Markdown get
every formatting character escaped (and ``@`` so a bucket name cannot mention a person).
"""

from __future__ import annotations

import html
import re
from typing import Any

from .content import Block, Doc

__all__ = ["to_adf", "to_markdown", "to_text", "to_wiki"]


def _adf_text(text: str, url: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if url:
        node["marks"] = [{"type": "link", "attrs": {"href": url}}]
    return node


def _adf_para(text: str, url: str | None = None) -> dict[str, Any]:
    content = [_adf_text(text)] if text else []
    if url:
        content.append(_adf_text(url, url))
    return {"type": "paragraph", "content": content}


def _adf_block(block: Block) -> dict[str, Any]:
    if block.kind == "h":
        return {"type": "heading", "attrs": {"level": 3}, "content": [_adf_text(block.text)]}
    if block.kind == "ul":
        return {
            "type": "bulletList",
            "content": [{"type": "listItem", "content": [_adf_para(i)]} for i in block.items],
        }
    return _adf_para(block.text, block.url)


def to_adf(doc: Doc) -> dict[str, Any]:
    """ADF v1 (Jira Cloud REST v3 descriptions and comments)."""
    content = [_adf_block(b) for b in doc.blocks if b.text or b.items or b.url]
    return {"type": "doc", "version": 1, "content": content}


_WIKI_SPECIAL = re.compile(r"([\\*_+\-^~?{}\[\]|!#])")


def _wiki(text: str) -> str:
    return _WIKI_SPECIAL.sub(r"\\\1", text)


def to_wiki(doc: Doc) -> str:
    """Jira Data Center wiki markup (REST v2)."""
    out: list[str] = []
    for b in doc.blocks:
        if b.kind == "h":
            out.append(f"h3. {_wiki(b.text)}")
        elif b.kind == "ul":
            out.extend(f"* {_wiki(i)}" for i in b.items)
        elif b.kind == "link" and b.url:
            out.append(f"{_wiki(b.text)}[{_wiki(b.url)}|{b.url.replace('|', '%7C')}]")
        else:
            out.append(_wiki(b.text))
        out.append("")
    return "\n".join(out).strip() + "\n"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("@", "&#64;")


def to_markdown(doc: Doc, *, hidden: str = "", limit: int = 60_000) -> str:
    """GitHub-flavoured Markdown; ``hidden`` (an HTML comment) goes first. Long lists are cut to
    stay under GitHub's 65,536-character body limit."""
    out: list[str] = [hidden] if hidden else []
    size = len(hidden)
    for b in doc.blocks:
        if b.kind == "h":
            lines = [f"### {_md(b.text)}"]
        elif b.kind == "ul":
            lines = []
            run = size
            for n, item in enumerate(b.items):
                line = f"- {_md(item)}"
                if run + len(line) > limit:
                    lines.append(f"- … {len(b.items) - n} more (see the report)")
                    break
                lines.append(line)
                run += len(line) + 1
        elif b.kind == "link" and b.url:
            lines = [f"{_md(b.text)}<{b.url.replace('>', '%3E').replace(' ', '%20')}>"]
        else:
            lines = [_md(b.text)]
        out.extend([*lines, ""])
        size += sum(len(line) + 1 for line in lines)
    return "\n".join(out).strip() + "\n"


def to_text(doc: Doc) -> str:
    """Plain text (ServiceNow, Roundup messages, webhook payloads)."""
    out: list[str] = []
    for b in doc.blocks:
        if b.kind == "h":
            out.append(f"== {b.text} ==")
        elif b.kind == "ul":
            out.extend(f"- {i}" for i in b.items)
        else:
            out.append(f"{b.text}{b.url or ''}")
        out.append("")
    return "\n".join(out).strip() + "\n"
