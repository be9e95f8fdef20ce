"""The GitHub workflows call the Makefile, with the Makefile's pins, so what CI
checks is what a developer runs, and neither can drift from the other.

actionlint and zizmor check the workflows themselves (``make check-workflows``,
in ``make test``); this reads what they cannot know: our own targets and pins.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
MAKEFILE = (REPO / "Makefile").read_text()
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}$")


def workflow(name: str) -> dict:
    # PyYAML reads the key `on` as True (YAML 1.1); what GitHub reads is `on`.
    loaded = yaml.safe_load((WORKFLOWS / name).read_text())
    loaded["on"] = loaded.pop(True)
    return loaded


def steps(flow: dict):
    for job_name, job in flow["jobs"].items():
        for step in job["steps"]:
            yield job_name, step


def make_variable(name: str) -> str:
    (value,) = re.findall(rf"^{name} [:?]?= *(\S+)$", MAKEFILE, re.MULTILINE)
    return value


def make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):(?!=)", MAKEFILE, re.MULTILINE))


@pytest.fixture(scope="module", params=["ci.yml", "deploy.yml"])
def flow(request) -> dict:
    return workflow(request.param)


def test_actions_are_pinned_by_commit_and_credentials_not_kept(flow):
    for job, step in steps(flow):
        if "uses" in step:
            assert PINNED_ACTION.match(step["uses"]), f"{job}: {step['uses']} is not pinned"
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, job


def test_each_pinned_action_says_its_release():
    """A commit says nothing to a reader; the comment is what Dependabot updates."""
    for path in WORKFLOWS.glob("*.yml"):
        for line in path.read_text().splitlines():
            if "uses:" in line:
                assert re.search(r"@[0-9a-f]{40} # v\d", line), f"{path.name}: {line.strip()}"


def test_permissions_are_least_privilege(flow):
    assert flow["permissions"] == {"contents": "read"}
    for name, job in flow["jobs"].items():
        granted = job.get("permissions", {"contents": "read"})
        assert granted in ({"contents": "read"}, {"contents": "read", "id-token": "write"}), name


def test_ci_runs_the_makefiles_own_targets():
    """Every check of CI is a make target a developer runs the same way."""
    ci = workflow("ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["on"]["push"]["branches"] == ["main"]
    commands = [step["run"] for _, step in steps(ci) if "run" in step]
    made = [c.split()[1] for c in commands if c.startswith("make ")]
    assert made == ["test-fast", "check-workflows", "check-defs", "compile-bigquery",
                    "check-terraform"]  # fmt: skip
    assert set(made) <= make_targets()
    assert "bash .ci/run" in commands, "the whole suite as the project's CI runs it"
    assert "make test" in (REPO / ".ci" / "run").read_text()
    assert ci["jobs"]["test"]["needs"] == "fast", "the fast lane first"
    assert "check-workflows" in MAKEFILE.split("\ntest:", 1)[1].split("\n\n", 1)[0]


def test_ci_sets_up_with_the_makefiles_pins():
    ci = workflow("ci.yml")
    assert ci["env"]["UV_VERSION"] == make_variable("UV_VERSION")
    assert f"python{ci['env']['PYTHON_VERSION']}" == make_variable("PYTHON")
    assert f"uv=={make_variable('UV_VERSION')}" in (REPO / "deploy" / "Dockerfile").read_text()
    for job, step in steps(ci):
        if step.get("uses", "").startswith("astral-sh/setup-uv@"):
            assert step["with"]["version"] == "${{ env.UV_VERSION }}", job
        if step.get("uses", "").startswith("actions/setup-python@"):
            assert step["with"]["python-version"] == "${{ env.PYTHON_VERSION }}", job


def test_deploy_builds_what_make_image_builds_and_upgrades_the_pinned_chart():
    deploy = workflow("deploy.yml")
    script = "\n".join(step.get("run", "") for _, step in steps(deploy))
    build_image = (REPO / "deploy" / "build_image.sh").read_text()
    for same in ("--platform linux/amd64", "-f deploy/Dockerfile"):
        assert same in script and same in build_image, same
    requirements = (REPO / "requirements.txt").read_text()
    (dagster,) = re.findall(r"^dagster==(\S+)$", requirements, re.MULTILINE)
    assert deploy["env"]["DAGSTER_CHART_VERSION"] == dagster
    chart_default = re.search(
        r'variable "dagster_chart_version" \{.*?default\s*=\s*"([^"]+)"',
        (REPO / "terraform" / "modules" / "dagster_home" / "variables.tf").read_text(),
        re.DOTALL,
    )
    assert chart_default.group(1) == dagster
    assert '--version "${DAGSTER_CHART_VERSION}"' in script
    assert "deploy/helm_image.py" in script, "the digest into every Dagster pod"


def test_deploy_signs_in_through_workload_identity_in_terraforms_environment():
    deploy = workflow("deploy.yml")
    (job,) = deploy["jobs"].values()
    variables = (REPO / "terraform" / "variables.tf").read_text()
    environment = re.search(
        r'variable "github_environment" \{.*?default\s*=\s*"([^"]+)"', variables, re.DOTALL
    )
    assert job["environment"] == environment.group(1)
    (auth,) = [s for _, s in steps(deploy) if s.get("uses", "").startswith("google-github-")
               and "workload_identity_provider" in s.get("with", {})]  # fmt: skip
    assert "credentials_json" not in auth["with"], "no key"
    assert (
        auth["with"]["workload_identity_provider"] == "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    )
    outputs = (REPO / "terraform" / "outputs.tf").read_text()
    assert 'output "github_workload_identity_provider"' in outputs
    assert 'output "github_deploy_service_account"' in outputs
