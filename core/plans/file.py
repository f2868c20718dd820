"""The plans file: YAML read exactly (numbers as Decimal) into a validated PlanFile.

Any problem ends in one PlanFileError naming the file, the entry and the field, say
`plans.yml: plans[gold].prices.storage_tb.tiers[1].up_to: must be greater than 100`.
The schema lives in core.plans.schema; checks across entries in core.plans.checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.errors import PlanFileError
from core.plans.checks import Problem, cross_checks
from core.plans.schema import PlanFile

__all__ = ["SAMPLE_PLANS", "PlanFile", "load_plan_file", "parse_plan_text"]

# The example plans file shipped with meterbot (the demo applies it; docs/plans.md explains it).
SAMPLE_PLANS = Path(__file__).parents[1] / "samples" / "plans.yml"


class _ExactLoader(yaml.SafeLoader):
    """YAML with floats read as Decimal from their text and duplicate keys refused."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    return value if value.is_finite() else text  # .inf / .nan: the schema refuses the text


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {line})", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_ExactLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load_plan_file(path: str | Path) -> PlanFile:
    """Read and validate a plans file; PlanFileError (one line) if anything is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise PlanFileError(f"{path.name}: cannot read the file: {reason}") from None
    return parse_plan_text(text, name=path.name)


def parse_plan_text(text: str, *, name: str = "plans.yml") -> PlanFile:
    """Validate a plans document given as text; `name` is used in messages."""
    raw = _parse_yaml(text, name)
    try:
        plan_file = PlanFile.model_validate(raw)
    except ValidationError as exc:
        problems = [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
        raise PlanFileError(_describe(name, raw, problems)) from None
    problems = cross_checks(plan_file)
    if problems:
        raise PlanFileError(_describe(name, raw, problems))
    plan_file.source = name
    return plan_file


def _parse_yaml(text: str, name: str) -> dict[str, Any]:
    try:
        raw = yaml.load(text, Loader=_ExactLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise PlanFileError(f"{name}: not valid YAML: {_yaml_reason(exc)}") from None
    if raw is None:
        raise PlanFileError(f"{name}: the file is empty (expected products, plans, customers)")
    if not isinstance(raw, dict):
        raise PlanFileError(f"{name}: expected a mapping with products, plans and customers")
    return raw


def _yaml_reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


_PATTERN_HINTS = {
    "salesforce_account_id": "must be a 15- or 18-character Salesforce id",
    "currency": "must be a three-letter ISO code, like USD",
    "license_arn": "must be a License Manager ARN (arn:aws:license-manager::...)",
}
_KEY_HINT = "use letters, digits and _ . : - (starting with a letter or digit)"


def _message(error: Any) -> str:
    kind, msg = error["type"], str(error["msg"])
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(str(error["loc"][-1]), _KEY_HINT)
    if kind == "extra_forbidden":
        return "unknown field (check the spelling; see docs/plans.md)"
    if kind == "missing":
        return "is required"
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _describe(name: str, raw: Any, problems: Sequence[Problem]) -> str:
    loc, message = problems[0]
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    where = entry_path(raw, loc)
    return f"{name}: {where}: {message}{more}" if where else f"{name}: {message}{more}"


def entry_path(raw: Any, loc: Sequence[Any]) -> str:
    """`('plans', 1, 'prices', ...)` as `plans[gold].prices...`, naming list entries by key."""
    text, node = "", raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            label = _entry_label(item, part)
            text, node = f"{text}[{label}]", item
        else:
            text = f"{text}.{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _entry_label(item: Any, index: int) -> str | int:
    if isinstance(item, dict):
        for field in ("key", "name"):
            if isinstance(item.get(field), str | int) and item.get(field) != "":
                return str(item[field])
    return index
