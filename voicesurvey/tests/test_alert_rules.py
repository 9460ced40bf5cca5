"""docs/operations/: the alert rules pass `promtool check rules` and their unit tests
(`promtool test rules`), and the rules and the Grafana dashboard name only metrics the product
serves. promtool is Debian's `prometheus` package; .ci/run installs it and sets
VOICESURVEY_REQUIRE_PROMTOOL, so there these tests must run; a developer's machine without it
skips them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from voicesurvey.metrics import metrics_exposition

OPERATIONS = Path(settings.BASE_DIR) / "docs" / "operations"


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "The alert rules need promtool: apt-get install -y prometheus"
        if os.environ.get("VOICESURVEY_REQUIRE_PROMTOOL"):  # set by .ci/run: there it must run
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.mark.parametrize(
    "command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]]
)
def test_promtool_accepts_the_rules(command):
    result = subprocess.run(
        [promtool(), *command], cwd=OPERATIONS, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def _served_names() -> set[str]:
    """Every sample name /metrics can serve: the registry's and the scrape-time gauges'."""
    import integrations.metrics  # noqa: F401  (its two metrics, registered on import)

    names = {sample.name for family in REGISTRY.collect() for sample in family.samples}
    names |= {family.name for family in REGISTRY.collect()}
    with override_settings(PROMETHEUS_MULTIPROC_DIR=""):
        exposition = metrics_exposition().decode()
    names |= {family.name for family in text_string_to_metric_families(exposition)}
    # Histograms' and counters' sample names exist only once a labelled child has a value.
    for family in REGISTRY.collect():
        if family.type == "histogram":
            names |= {f"{family.name}_{suffix}" for suffix in ("bucket", "sum", "count")}
        if family.type == "counter":
            names.add(f"{family.name}_total")
    return names


def _metric_names(text: str) -> set[str]:
    return set(re.findall(r"\bvoicesurvey_[a-z_]+", text))


@pytest.mark.django_db
def test_the_rules_and_the_dashboard_name_only_metrics_the_product_serves():
    served = _served_names()
    rules = _metric_names((OPERATIONS / "alerts.yml").read_text())
    dashboard = json.loads((OPERATIONS / "grafana-dashboard.json").read_text())
    queries = _metric_names(json.dumps(dashboard))
    assert rules, "no metric named in the rules"
    assert len(queries) >= 15, "the dashboard should cover the product's metrics"
    assert rules - served == set()
    assert queries - served == set()
