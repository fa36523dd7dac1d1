"""How to install an extra of the ``loomgen`` distribution, for error messages.

loomgen is not published on a package index, so "pip install loomgen[x]" would
fetch nothing (or an unrelated project). The advice names what this copy was
installed from instead: pip records a checkout folder or a wheel file in the
distribution's ``direct_url.json``. Standard library only: ``loom`` imports it.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlparse

UNKNOWN_SOURCE = "/path/to/loomgen-checkout"
"""What the advice names when pip recorded no local folder or file for loomgen."""


def install_source() -> str | None:
    """The local checkout or wheel this loomgen was installed from, if pip recorded one
    that still exists."""
    for dist in metadata.distributions(name="loomgen"):
        try:
            url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
        except (ValueError, AttributeError):
            continue
        parsed = urlparse(url) if isinstance(url, str) else None
        if parsed is not None and parsed.scheme == "file":
            where = Path(unquote(parsed.path))
            if where.exists():
                return str(where)
    return None


def install_hint(extra: str | None = None, *, reinstall: bool = False) -> str:
    """``pip install '<source>[extra]'`` for this installation (``--force-reinstall`` with
    ``reinstall``), or the generic form naming a checkout or its wheel when the source is
    unknown."""
    source = install_source()
    suffix = f"[{extra}]" if extra else ""
    command = "pip install --force-reinstall" if reinstall else "pip install"
    if source is not None:
        return f"{command} '{source}{suffix}'"
    return (
        f"{command} '{UNKNOWN_SOURCE}{suffix}' (or the wheel built there"
        + (f", with {suffix} after its file name" if extra else "")
        + "; loomgen is not on a package index)"
    )


def missing_extra(feature: str, needs: str, extra: str) -> str:
    """The message for an ``ImportError`` of an optional part: what it needs and how to get it."""
    return f"{feature} needs {needs} (the `{extra}` extra): {install_hint(extra)}"
