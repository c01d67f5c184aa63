"""The repository list: ``owner/name``, a clone URL or a local path per line, as ``RepoRef`` values.

A line is a local path when it starts with ``/``, ``./``, ``../`` or ``~``; a URL when
it has ``://`` or is scp-like (``git@host:owner/name.git``); otherwise ``owner/name``
(GitLab: ``group/subgroup/name``), cloned from the ``--git-url`` template.  The forge
API names a repository by its slug: the URL's path for a forge URL, the last two
path segments for a local path or ``file://`` URL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from dockvenv.errors import InputError, UsageError

_SLUG = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
_SCP = re.compile(r"^[\w.-]+@[\w.-]+:(?P<path>[^/].*)$")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class RepoRef:
    spec: str  # as written in the list
    slug: str  # owner/name for the forge API
    url: str  # what git clones and pushes to (never holds a token)


def parse_list(text: str, origin: str, git_url: str, forge: str = "github") -> list[RepoRef]:
    """One RepoRef per line, duplicates dropped; a bad line is an InputError naming ``origin:line``."""
    out: list[RepoRef] = []
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()  # clone URLs have no fragment
        if not line:
            continue
        try:
            ref = from_spec(line, git_url, forge)
        except InputError as exc:
            raise InputError(f"{origin}:{n}: {exc}") from None
        if ref.slug not in seen:
            seen.add(ref.slug)
            out.append(ref)
    return out


def from_spec(spec: str, git_url: str, forge: str = "github") -> RepoRef:
    if spec.startswith(("/", "./", "../", "~")):
        path = Path(os.path.expanduser(spec)).resolve()
        return RepoRef(spec, _tail_slug(path.as_posix()), path.as_uri())
    if "://" in spec or _SCP.match(spec):
        return RepoRef(spec, slug_from_url(spec, forge), spec)
    if not _SLUG.match(spec) or any(part in (".", "..") for part in spec.split("/")):
        raise InputError(f"{spec!r} is neither owner/name, a clone URL nor a local path")
    return RepoRef(spec, spec, clone_url(git_url, spec))


def clone_url(template: str, slug: str) -> str:
    owner, name = slug.rsplit("/", 1)
    try:
        return template.format(owner=owner, name=name, slug=slug)
    except (KeyError, IndexError, ValueError) as exc:
        raise UsageError(f"--git-url {template!r}: only {{owner}}, {{name}} and {{slug}} may be used ({exc})") from None


def slug_from_url(url: str, forge: str = "github") -> str:
    scp = _SCP.match(url)
    if scp and "://" not in url:
        path, local = scp.group("path"), False
    else:
        parts = urlsplit(url)
        path, local = parts.path, parts.scheme == "file"
    path = path.strip("/").removesuffix(".git").strip("/")
    if local or forge != "gitlab":
        return _tail_slug(path)
    if path.count("/") < 1:
        raise InputError(f"{url!r}: no owner/name in the URL's path")
    return path


def _tail_slug(path: str) -> str:
    parts = [p for p in path.removesuffix(".git").split("/") if p]
    if len(parts) < 2:
        raise InputError(f"{path!r}: no owner/name in the last two path segments")
    return "/".join(parts[-2:])


def workspace_dir(workspace: Path, slug: str) -> Path:
    """The clone's folder: one safe name directly under the workspace, whatever the slug says."""
    name = _SAFE.sub("_", slug.replace("/", "__")).strip(".") or "_"
    path = (workspace / name).resolve()
    if path.parent != workspace.resolve():
        raise InputError(f"{slug}: its workspace folder would be outside {workspace}")
    return path
