"""CI integrations run for real: the composite action's shell steps and the GitLab job's script,
on copies of fixture projects, with this checkout's dockvenv on PATH.

The action's ``uses:`` steps (setup-python, the SARIF upload) are GitHub's and are not run;
the install step is checked for what it installs, not run (it would reinstall this package).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES
from tests.test_report import _sarif_validator

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
GITLAB = yaml.safe_load((ROOT / "ci" / "gitlab-ci.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


@pytest.fixture
def bin_path(tmp_path: Path) -> str:
    """A PATH whose ``dockvenv`` and ``python3`` are this checkout's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("dockvenv", f'exec {sys.executable} -m dockvenv "$@"'), ("python3", f'exec {sys.executable} "$@"')):
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return f"{bin_dir}{os.pathsep}{os.environ['PATH']}"


def workspace(tmp_path: Path, *projects: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    for p in projects:
        shutil.copytree(p, ws / p.name)
    return ws


# -- the composite action -----------------------------------------------------------------------

class ActionRun:
    """Runs the action's bash steps in order the way the runner does: env expressions filled in,
    GITHUB_OUTPUT read back into ``steps.ID.outputs``, GITHUB_STEP_SUMMARY collected."""

    def __init__(self, tmp: Path, cwd: Path, path_env: str, inputs: dict[str, str]) -> None:
        self.tmp, self.cwd, self.path_env = tmp, cwd, path_env
        self.inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = tmp / "summary.md"
        self.summary.write_text("")
        self.ran: list[str] = []

    def value(self, expr: str) -> str:
        scope, _, rest = expr.partition(".")
        if scope == "inputs":
            return self.inputs[rest]
        if scope == "runner" and rest == "temp":
            return str(self.tmp)
        if scope == "github" and rest == "action_path":
            return str(ROOT)
        if scope == "steps":
            step, _, name = rest.partition(".outputs.")
            return self.outputs.get(step, {}).get(name, "")
        raise AssertionError(f"the test runner does not know ${{{{ {expr} }}}}")

    def run(self) -> int:
        for step in ACTION["runs"]["steps"]:
            if "uses" in step or step["name"] == "Install dockvenv":
                continue
            assert step["shell"] == "bash" and "${{" not in step["run"], "expressions go through env:"
            out_file = self.tmp / f"output-{len(self.ran)}"
            out_file.write_text("")
            env = {**os.environ, "PATH": self.path_env, "GITHUB_OUTPUT": str(out_file),
                   "GITHUB_STEP_SUMMARY": str(self.summary), "NO_COLOR": "1"}
            env.update({k: EXPR.sub(lambda m: self.value(m.group(1)), str(v)) for k, v in step.get("env", {}).items()})
            done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=self.cwd, env=env,
                                  capture_output=True, text=True, timeout=300)
            self.ran.append(step["name"])
            self.log = done.stdout + done.stderr
            if "id" in step:
                self.outputs[step["id"]] = dict(ln.split("=", 1) for ln in out_file.read_text().splitlines() if ln)
            if done.returncode:
                return done.returncode
        return 0

    def output(self, name: str) -> str:
        return EXPR.sub(lambda m: self.value(m.group(1)), ACTION["outputs"][name]["value"])


def test_action_is_composite_and_installs_its_own_checkout() -> None:
    assert ACTION["runs"]["using"] == "composite"
    [install] = [s for s in ACTION["runs"]["steps"] if s.get("name") == "Install dockvenv"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${DOCKVENV_SPEC:-$ACTION_PATH}"' in install["run"]
    [upload] = [s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"


def test_action_on_a_venv_project(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "apps" / "uvlock-cli")
    found = len(json.loads(subprocess.run([sys.executable, "-m", "dockvenv", "check", "--format", "json", str(ws / "uvlock-cli")],
                                          capture_output=True, text=True, check=False).stdout)["findings"])
    run = ActionRun(tmp_path, ws, bin_path, {"paths": "uvlock-cli"})
    assert run.run() == 1  # findings fail the job, after the SARIF and the summary exist
    assert found > 0 and run.ran[-1] == "Fail on findings" and f"::error title=dockvenv::{found} finding(s)" in run.log
    assert run.output("findings") == str(found) and run.output("pending") == "true"
    sarif = json.loads(Path(run.output("sarif-file")).read_text())
    assert list(_sarif_validator().iter_errors(sarif)) == []
    assert len(sarif["runs"][0]["results"]) == found
    summary = run.summary.read_text()
    assert summary.startswith(f"## dockvenv\n\n{found} finding(s) in `uvlock-cli`.")
    diff = summary.split("````diff\n", 1)[1].split("````\n", 1)[0]
    assert "+RUN --mount=from=dockvenv-builder,source=/dist,target=/wheels \\\n" in diff
    assert diff.startswith("diff --git a/Dockerfile b/Dockerfile\n")


def test_action_can_report_without_failing(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "apps" / "pep621-flask", FIXTURES / "apps" / "poetry-api")
    run = ActionRun(tmp_path, ws, bin_path, {"paths": "pep621-flask poetry-api", "fail-on-findings": "false",
                                             "summary": "false"})
    assert run.run() == 0
    assert int(run.output("findings")) > 20
    assert run.summary.read_text() == ""


def test_action_on_a_clean_project(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "check" / "lookalikes")
    run = ActionRun(tmp_path, ws, bin_path, {"paths": "lookalikes"})
    assert run.run() == 0
    assert (run.output("findings"), run.output("pending")) == ("0", "false")
    assert "Nothing to migrate." in run.summary.read_text()


def test_action_stops_when_dockvenv_cannot_do_its_job(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "check" / "lookalikes")
    (ws / "lookalikes" / "pyproject.toml").write_text("[tool.dockvenv\n")
    run = ActionRun(tmp_path, ws, bin_path, {"paths": "lookalikes"})
    assert run.run() == 2
    assert run.ran == ["dockvenv check"] and "lookalikes/pyproject.toml:1: invalid TOML" in run.log


# -- the GitLab job -------------------------------------------------------------------------------

def gitlab_job(ws: Path, path_env: str, paths: str) -> tuple[int, str]:
    job = GITLAB["dockvenv"]
    lines = [ln for ln in job["script"] if "pip install" not in ln]
    script = "set -e\n" + "\n".join(lines)  # GitLab stops a job at the first failing line
    env = {**os.environ, "PATH": path_env, **job["variables"], "DOCKVENV_PATHS": paths, "NO_COLOR": "1"}
    done = subprocess.run(["sh", "-c", script], cwd=ws, env=env, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def test_gitlab_job_shape() -> None:
    job = GITLAB["dockvenv"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert job["allow_failure"] == {"exit_codes": [1]}
    assert "dockvenv-migration.diff" in job["artifacts"]["paths"] and job["artifacts"]["when"] == "always"
    assert any('pip install' in ln and '"$DOCKVENV_SPEC"' in ln for ln in job["script"])


def test_gitlab_job_on_venv_projects(tmp_path: Path, bin_path: str) -> None:
    from tests.test_ecosystem_outputs import validate

    ws = workspace(tmp_path, FIXTURES / "apps" / "poetry-api", FIXTURES / "check" / "dotenv")
    rc, log = gitlab_job(ws, bin_path, "poetry-api dotenv")
    assert rc in GITLAB["dockvenv"]["allow_failure"]["exit_codes"], log  # findings: a warning, not a failure
    issues = json.loads((ws / "gl-code-quality-report.json").read_text())
    validate(issues, "dockvenv check --format gitlab")
    assert {i["location"]["path"].split("/")[0] for i in issues} == {"poetry-api", "dotenv"}
    assert any(i["severity"] == "major" for i in issues)  # dotenv's DV3xx
    assert (ws / "dockvenv-migration.diff").read_text().startswith("diff --git a/Dockerfile b/Dockerfile")
    assert "poetry-api/Dockerfile:14:1: DV106" in log  # the readable findings in the job log


def test_gitlab_job_on_a_clean_project(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "check" / "lookalikes")
    rc, log = gitlab_job(ws, bin_path, "lookalikes")
    assert rc == 0, log
    assert json.loads((ws / "gl-code-quality-report.json").read_text()) == []
    assert (ws / "dockvenv-migration.diff").read_text() == ""


def test_gitlab_job_fails_on_bad_input(tmp_path: Path, bin_path: str) -> None:
    ws = workspace(tmp_path, FIXTURES / "check" / "lookalikes")
    (ws / "lookalikes" / "pyproject.toml").write_text("[tool.dockvenv\n")
    rc, log = gitlab_job(ws, bin_path, "lookalikes")
    assert rc == 2 and rc not in GITLAB["dockvenv"]["allow_failure"]["exit_codes"]
    assert "invalid TOML" in log


# -- the files against their platforms' own schemas ------------------------------------------------

@pytest.mark.skipif(shutil.which("check-jsonschema") is None, reason="check-jsonschema is not installed")
@pytest.mark.parametrize(("schema", "path"), [("vendor.github-actions", "action.yml"),
                                              ("vendor.gitlab-ci", "ci/gitlab-ci.yml")])
def test_valid_against_the_schemastore_schema(schema: str, path: str) -> None:
    done = subprocess.run(["check-jsonschema", "--builtin-schema", schema, str(ROOT / path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("pre-commit") is None, reason="pre-commit is not installed")
def test_pre_commit_accepts_the_hooks_manifest() -> None:
    done = subprocess.run(["pre-commit", "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
