"""CRM blocklist filters: their JSON form, its validation, and the parsed rules.

A campaign's filters are a JSON document checked against
`blocklist.schema.json` beside this module, for example:

    {"rules": [{"name": "Customers", "outcome": "block", "objects": ["Lead"],
                "when": {"field": "Status", "operator": "equals",
                         "value": "Customer"}},
               {"name": "Partners", "outcome": "allow",
                "when": {"field": "Account.Type", "operator": "in",
                         "value": ["Partner", "Reseller"]}}],
     "otherwise": "allow"}

A condition is a comparison (`field`, `operator`, `value`) or combines
conditions with `all` (and), `any` (or) or `not`. `Account.<Field>` is a
field of the record's Account. For a Contact that is its Account, and for a
Lead the Account it was converted into, because a Lead has no Account before
conversion. A condition on the Account is false for a record without one.
How the rules decide is described in `contact_checks.decisions`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from contact_checks.decisions import OBJECT_ORDER, Outcome

SCHEMA_PATH = Path(__file__).with_name("blocklist.schema.json")
ACCOUNT_PREFIX = "Account."
# Bounds that keep each rule's SOQL well inside one query URL, and keep the
# validator out of deep recursion on hostile input.
MAX_NESTING = 8
MAX_COMPARISONS_PER_RULE = 20
MAX_ERRORS_SHOWN = 10

OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "is_empty",
    "greater_than",
    "less_than",
)
OPERATOR_WORDS = {
    "equals": "equals",
    "not_equals": "does not equal",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "contains",
    "starts_with": "starts with",
    "is_empty": "is empty",
    "greater_than": "is greater than",
    "less_than": "is less than",
}
EXAMPLE_FIELDS = "Status, Custom_Status__c or Account.Type"


class FilterError(ValueError):
    """Blocklist filters that cannot be used; `problems` name each path and fix."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str
    value: Any = None

    @property
    def on_account(self) -> bool:
        return self.field.startswith(ACCOUNT_PREFIX)


@dataclass(frozen=True)
class AllOf:
    conditions: tuple


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple


@dataclass(frozen=True)
class Not:
    condition: Any


Condition = Comparison | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Rule:
    name: str
    outcome: Outcome
    objects: tuple[str, ...]
    condition: Condition
    path: str

    @property
    def label(self) -> str:
        return f"{self.path} ({self.name!r})"


@dataclass(frozen=True)
class Blocklist:
    rules: tuple[Rule, ...] = ()
    otherwise: Outcome = Outcome.BLOCK

    @property
    def uses_account(self) -> bool:
        return any(
            comparison.on_account
            for rule in self.rules
            for comparison in comparisons(rule.condition)
        )


EMPTY_BLOCKLIST = Blocklist()


@cache
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_document(document: Any) -> None:
    """Check the JSON against the schema and the rules it cannot express.

    Raises FilterError listing each problem with its path and fix.
    """
    if _nesting(document) > MAX_NESTING * 2 + 4:
        raise FilterError(
            [f"conditions are nested too deeply: use at most {MAX_NESTING} levels."]
        )
    errors = sorted(_validator().iter_errors(document), key=_error_order)
    problems = list(dict.fromkeys(_describe_error(error) for error in errors))
    if not problems:
        problems = _semantic_problems(document)
    if problems:
        listed = problems[:MAX_ERRORS_SHOWN]
        if len(problems) > len(listed):
            listed.append(f"and {len(problems) - len(listed)} more problems.")
        raise FilterError(listed)


def parse_blocklist(document: Any) -> Blocklist:
    """Validate the JSON and return its rules; raises FilterError."""
    if document in (None, {}):
        return EMPTY_BLOCKLIST
    validate_document(document)
    rules = tuple(
        Rule(
            name=item["name"].strip(),
            outcome=Outcome(item["outcome"]),
            objects=tuple(
                name
                for name in OBJECT_ORDER
                if name in item.get("objects", OBJECT_ORDER)
            ),
            condition=_condition(item["when"]),
            path=f"rules[{index}]",
        )
        for index, item in enumerate(document["rules"])
    )
    return Blocklist(rules=rules, otherwise=Outcome(document.get("otherwise", "block")))


def comparisons(condition: Condition) -> Iterator[Comparison]:
    """Yield every comparison inside a condition, in order."""
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, AllOf | AnyOf):
        for item in condition.conditions:
            yield from comparisons(item)
    else:
        yield from comparisons(condition.condition)


def describe_condition(condition: Condition) -> str:
    """Return the condition in words, as the settings page and admin show it."""
    if isinstance(condition, Comparison):
        words = OPERATOR_WORDS[condition.operator]
        if condition.operator == "is_empty":
            return f"{condition.field} {words}"
        return f"{condition.field} {words} {json.dumps(condition.value)}"
    if isinstance(condition, Not):
        return f"not ({describe_condition(condition.condition)})"
    joiner = " and " if isinstance(condition, AllOf) else " or "
    parts = [describe_condition(item) for item in condition.conditions]
    if len(parts) == 1:
        return parts[0]
    return "(" + joiner.join(parts) + ")"


def describe_rule(rule: Rule) -> str:
    objects = " and ".join(f"{name}s" for name in rule.objects)
    verb = "Block" if rule.outcome == Outcome.BLOCK else "Allow"
    return f"{verb} {objects} when {describe_condition(rule.condition)}"


def _condition(node: dict) -> Condition:
    if "all" in node:
        return AllOf(tuple(_condition(item) for item in node["all"]))
    if "any" in node:
        return AnyOf(tuple(_condition(item) for item in node["any"]))
    if "not" in node:
        return Not(_condition(node["not"]))
    value = node.get("value")
    if isinstance(value, list):
        value = tuple(value)
    return Comparison(field=node["field"], operator=node["operator"], value=value)


def _nesting(value: Any) -> int:
    """Return the depth of nested lists and objects, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _semantic_problems(document: dict) -> list[str]:
    problems = []
    first_use: dict[str, int] = {}
    for index, item in enumerate(document["rules"]):
        name = item["name"].strip()
        key = name.casefold()
        if key in first_use:
            problems.append(
                f"rules[{index}].name: {name!r} is also the name of "
                f"rules[{first_use[key]}]; give each rule its own name, because "
                "decisions report the rule by name."
            )
        first_use.setdefault(key, index)
        count = sum(1 for _ in comparisons(_condition(item["when"])))
        if count > MAX_COMPARISONS_PER_RULE:
            problems.append(
                f"rules[{index}].when has {count} comparisons; use at most "
                f"{MAX_COMPARISONS_PER_RULE}, or split it into several rules."
            )
    return problems


def _error_order(error: ValidationError) -> tuple:
    return tuple(str(part) for part in error.absolute_path), error.message


def json_path(parts) -> str:
    """Render a path such as rules[0].when.all[1] from its parts."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "the document"


def _describe_error(error: ValidationError) -> str:
    """Return one schema violation as "<path>: <problem and fix>"."""
    path = json_path(error.absolute_path)
    instance = error.instance
    last = error.absolute_path[-1] if error.absolute_path else None
    kind = error.validator

    if kind is None:
        # A `false` subschema: a comparison with is_empty must not have a value.
        return f"{path}: operator 'is_empty' takes no value; remove 'value'."
    if kind == "required":
        missing = error.message.split("'")[1]
        if missing == "value":
            return f"{path}: operator {instance.get('operator')!r} needs a 'value'."
        return f"{path}: {missing!r} is missing."
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unexpected = sorted(set(instance) - set(allowed))
        return (
            f"{path}: unknown key(s) {', '.join(map(repr, unexpected))}; "
            f"allowed keys are {', '.join(allowed)}."
        )
    if kind == "enum":
        choices = ", ".join(map(repr, error.validator_value))
        return f"{path}: {instance!r} is not allowed; use one of {choices}."
    if kind == "type":
        expected = error.validator_value
        if isinstance(expected, list):
            expected = " or ".join(expected)
        return (
            f"{path}: expected {expected}, got {_json_type(instance)} "
            f"{_short(instance)}."
        )
    if kind in ("minProperties", "maxProperties"):
        return (
            f"{path}: a condition is either a comparison with 'field', "
            "'operator' and 'value', or exactly one of 'all', 'any', 'not'; "
            f"got keys {sorted(instance) or 'none'}."
        )
    if kind == "minItems":
        return f"{path}: the list is empty; give at least one item."
    if kind == "maxItems":
        return (
            f"{path}: the list has {len(instance)} items; at most "
            f"{error.validator_value} are allowed."
        )
    if kind == "minLength":
        return f"{path}: the text is empty."
    if kind == "maxLength":
        return (
            f"{path}: the text has {len(instance)} characters; at most "
            f"{error.validator_value} are allowed."
        )
    if kind == "pattern" and last == "field":
        return (
            f"{path}: {instance!r} is not a field API name; write the API name, "
            f"such as {EXAMPLE_FIELDS}."
        )
    if kind == "pattern" and last == "name":
        return f"{path}: the rule name is blank; name the rule."
    if kind == "uniqueItems":
        return f"{path}: an object is listed twice; list Lead and Contact once each."
    return f"{path}: {error.message}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "…"
