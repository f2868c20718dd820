"""World files applied through core.plans, the service `meterbot plans apply` calls.

A world file may hold `$name` placeholders for what moves with a test's clock or its
size (a contract's first day, generated customers); `plans_text` fills them with YAML
written from Python values, so the file stays the one description of the world.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any, TypeVar

import yaml
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from core.plans.apply import apply_plan, apply_plan_file
from core.plans.file import parse_plan_text
from core.plans.report import ApplyReport

WORLDS = Path(__file__).parent
ACTOR = "tests"  # who the plans.apply audit event names

Row = TypeVar("Row", bound=SQLModel)


def plans_text(name: str, **values: Any) -> str:
    """The world file `name` with each `$placeholder` written as the YAML of its value."""
    template = Template((WORLDS / name).read_text(encoding="utf-8"))
    return template.substitute({key: _flow(value) for key, value in values.items()})


def apply_text(engine: Engine, text: str, *, now: datetime, name: str = "plans.yml") -> ApplyReport:
    """Validate and apply a plans document in one unit of work, as the CLI does."""
    return apply_plan_file(engine, parse_plan_text(text, name=name), now=now, actor=ACTOR)


def apply_world(engine: Engine, name: str, *, now: datetime, **values: Any) -> ApplyReport:
    """The world file `name`, placeholders filled with `values`, applied as the CLI does."""
    return apply_text(engine, plans_text(name, **values), now=now, name=name)


def apply_world_in(session: Session, name: str, *, now: datetime, **values: Any) -> ApplyReport:
    """The same inside the caller's unit of work, for tests that build and use one session."""
    plan_file = parse_plan_text(plans_text(name, **values), name=name)
    return apply_plan(session, plan_file, now=now, actor=ACTOR)


def one(session: Session, model: type[Row], **where: Any) -> Row:
    """The one row of `model` with these column values."""
    return session.exec(select(model).filter_by(**where)).one()


def _flow(value: Any) -> str:
    # Amounts go in as text (YAML has no Decimal); dates and lists as YAML writes them.
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1 << 30)
    return text.removesuffix("...\n").strip()
