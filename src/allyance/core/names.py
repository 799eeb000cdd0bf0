"""Personal names: Chinese names are shown family name first with no space."""

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text or ""))


def display_name(*, family: str, given: str) -> str:
    """`王小明` for Chinese names, `Ada Lovelace` for western ones."""
    family, given = (family or "").strip(), (given or "").strip()
    if has_cjk(family) or has_cjk(given):
        return f"{family}{given}"
    return " ".join(part for part in (given, family) if part)
