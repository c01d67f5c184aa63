"""read -> analyze: a project's Dockerfiles parsed and analysed, and the findings."""

from __future__ import annotations

from dockvenv import dockerfile, rules
from dockvenv.analysis import analyze
from dockvenv.config import Settings
from dockvenv.model import Finding
from dockvenv.project import Project
from dockvenv.rules.base import Context


def context(project: Project, settings: Settings) -> Context:
    parsed = []
    for path in project.dockerfiles:
        df = dockerfile.parse(project.files[path].text, path)
        parsed.append((path, df, analyze(df)))
    return Context(project, settings, tuple(parsed))


def findings(project: Project, settings: Settings) -> list[Finding]:
    return rules.run(context(project, settings))
