"""The documentation's plans examples stay valid: a reader can copy them as they are."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, select

from core.models import Dimension, Plan
from core.plans.file import SAMPLE_PLANS, parse_plan_text
from core.plans.versions import apply_plan_file

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 18, tzinfo=UTC)


def _yaml_blocks(path: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", path.read_text(), flags=re.S)


def test_the_readme_plans_example_applies(engine):
    (example,) = _yaml_blocks(ROOT / "README.md")
    report = apply_plan_file(engine, parse_plan_text(example), now=NOW, actor="readme")
    assert report.changed
    with Session(engine) as session:
        egress = session.exec(select(Dimension).where(Dimension.key == "egress_tb")).one()
        assert str(egress.unit_scale.normalize()) == "0.001"
        assert session.exec(select(Plan)).one().key == "gold"


def test_the_plans_page_shows_the_sample_as_shipped():
    blocks = _yaml_blocks(ROOT / "docs" / "plans.md")
    assert SAMPLE_PLANS.read_text() in blocks
