"""Blocklist rules checked against an org's describe and compiled into SOQL.

Each rule becomes, per object it applies to, a SOQL condition. Field names in
it are the names describe returned for the org, never the text of the rule,
and every value goes through simple-salesforce's `quote_soql_value` (LIKE
patterns through `format_soql`'s `:like`, which also escapes % and _). So a
rule's text can change which records match, never the shape of the query.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote_plus

from django.utils.dateparse import parse_date, parse_datetime
from simple_salesforce.format import format_soql, quote_soql_value

from contact_checks.filters import (
    ACCOUNT_PREFIX,
    AllOf,
    AnyOf,
    Blocklist,
    Comparison,
    Condition,
    FilterError,
    Not,
    Rule,
)
from exports.describe import FieldSchema, ObjectSchema

# The reference from each object to "its Account". A Lead has no Account
# before conversion, so for a Lead it is the Account it was converted into.
ACCOUNT_REFERENCE = {"Lead": "ConvertedAccountId", "Contact": "AccountId"}
# A rule's condition shares the query URL with a chunk of emails, so it gets
# a fixed share of the URL budget, which the look-up sets aside.
MAX_CONDITION_BYTES = 2_000

TEXT = "text"
ID = "id"
BOOLEAN = "boolean"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
CATEGORIES = {
    "string": TEXT,
    "email": TEXT,
    "url": TEXT,
    "phone": TEXT,
    "picklist": TEXT,
    "combobox": TEXT,
    "textarea": TEXT,
    "encryptedstring": TEXT,
    "id": ID,
    "reference": ID,
    "boolean": BOOLEAN,
    "int": NUMBER,
    "long": NUMBER,
    "double": NUMBER,
    "currency": NUMBER,
    "percent": NUMBER,
    "date": DATE,
    "datetime": DATETIME,
}
EQUALITY = ("equals", "not_equals", "in", "not_in", "is_empty")
OPERATORS_BY_CATEGORY = {
    TEXT: (*EQUALITY, "contains", "starts_with"),
    ID: EQUALITY,
    BOOLEAN: ("equals", "not_equals"),
    NUMBER: (*EQUALITY, "greater_than", "less_than"),
    DATE: (*EQUALITY, "greater_than", "less_than"),
    DATETIME: (*EQUALITY, "greater_than", "less_than"),
}
SOQL_OPERATORS = {
    "equals": "=",
    "not_equals": "!=",
    "in": "IN",
    "not_in": "NOT IN",
    "greater_than": ">",
    "less_than": "<",
}
SALESFORCE_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")


@dataclass(frozen=True)
class CompiledRule:
    """A rule and its SOQL condition for each object it applies to."""

    rule: Rule
    conditions: dict[str, str]


@dataclass(frozen=True)
class CompiledBlocklist:
    blocklist: Blocklist
    rules: tuple[CompiledRule, ...]

    def rules_for(self, sobject: str) -> list[tuple[Rule, str]]:
        """Return (rule, SOQL condition) of the rules for `sobject`, in order."""
        return [
            (compiled.rule, compiled.conditions[sobject])
            for compiled in self.rules
            if sobject in compiled.conditions
        ]


def objects_to_describe(blocklist: Blocklist) -> tuple[str, ...]:
    """Return the objects whose describe `compile_blocklist` needs."""
    return (
        ("Lead", "Contact", "Account")
        if blocklist.uses_account
        else ("Lead", "Contact")
    )


def compile_blocklist(
    blocklist: Blocklist, schemas: dict[str, ObjectSchema]
) -> CompiledBlocklist:
    """Check every rule against the org's describe and compile it to SOQL.

    Raises FilterError listing each field, type or operator problem.
    """
    problems: list[str] = []
    compiled = []
    for rule in blocklist.rules:
        conditions = {}
        for sobject in rule.objects:
            builder = _Builder(rule, sobject, schemas)
            soql = builder.build(rule.condition)
            problems.extend(builder.problems)
            if builder.problems:
                continue
            size = len(quote_plus(soql))
            if size > MAX_CONDITION_BYTES:
                problems.append(
                    f"{rule.label}: its {sobject} condition takes {size} bytes of "
                    f"the query URL; at most {MAX_CONDITION_BYTES} fit. Split it "
                    "into several rules or use shorter values."
                )
            conditions[sobject] = soql
        compiled.append(CompiledRule(rule, conditions))
    if problems:
        raise FilterError(list(dict.fromkeys(problems)))
    return CompiledBlocklist(blocklist, tuple(compiled))


class _Builder:
    """Compiler of one rule's condition for one object, which collects problems."""

    def __init__(self, rule: Rule, sobject: str, schemas: dict[str, ObjectSchema]):
        self.rule = rule
        self.sobject = sobject
        self.schemas = schemas
        self.problems: list[str] = []

    def build(self, condition: Condition) -> str:
        if isinstance(condition, AllOf | AnyOf):
            joiner = " AND " if isinstance(condition, AllOf) else " OR "
            parts = [self.build(item) for item in condition.conditions]
            return "(" + joiner.join(parts) + ")"
        if isinstance(condition, Not):
            return f"(NOT {self.build(condition.condition)})"
        return self.comparison(condition)

    def comparison(self, comparison: Comparison) -> str:
        resolved = self.resolve(comparison.field)
        if resolved is None:
            return ""
        path, field, reference = resolved
        category = CATEGORIES.get(field.type)
        where = f"{self.rule.label}: {comparison.field} on {self.sobject}"
        if not field.filterable:
            self.fail(
                f"{where} cannot be filtered: Salesforce does not allow it in a "
                "WHERE clause (long text fields, for example). Use another field."
            )
            return ""
        if category is None:
            self.fail(
                f"{where} is a {field.type} field, which blocklist rules do not "
                "support; use a text, number, date, date/time, checkbox or id field."
            )
            return ""
        if comparison.operator not in OPERATORS_BY_CATEGORY[category]:
            allowed = ", ".join(OPERATORS_BY_CATEGORY[category])
            self.fail(
                f"{where}: operator {comparison.operator!r} does not fit its type "
                f"{field.type}; use one of {allowed}."
            )
            return ""
        soql = self.expression(path, comparison, field, category, where)
        if reference and soql:
            # No Account means the condition is false, whatever the operator.
            return f"({reference} != null AND {soql})"
        return soql

    def resolve(self, text: str) -> tuple[str, FieldSchema, str | None] | None:
        """Return (SOQL path, field, reference to null-check) from describe."""
        schema = self.schemas.get(self.sobject)
        if text.startswith(ACCOUNT_PREFIX):
            reference = _field(schema, ACCOUNT_REFERENCE[self.sobject])
            account = self.schemas.get("Account")
            if (
                reference is None
                or not reference.relationship_name
                or "Account" not in reference.reference_to
            ):
                self.fail(
                    f"{self.rule.label}: {text} needs {self.sobject}."
                    f"{ACCOUNT_REFERENCE[self.sobject]}, which the connected user "
                    "cannot read; grant read access to it or limit the rule to "
                    "the other object with 'objects'."
                )
                return None
            field = _field(account, text.removeprefix(ACCOUNT_PREFIX))
            if field is None:
                self.fail(
                    f"{self.rule.label}: Account has no field "
                    f"{text.removeprefix(ACCOUNT_PREFIX)!r} that the connected "
                    "user can read; check the API name in Setup → Object Manager."
                )
                return None
            return f"{reference.relationship_name}.{field.name}", field, reference.name
        field = _field(schema, text)
        if field is None:
            hint = (
                " or limit the rule to the objects that have it with 'objects'"
                if len(self.rule.objects) > 1
                else ""
            )
            self.fail(
                f"{self.rule.label}: {self.sobject} has no field {text!r} that the "
                f"connected user can read; check the API name{hint}."
            )
            return None
        return field.name, field, None

    def expression(self, path, comparison, field, category, where) -> str:
        operator = comparison.operator
        if operator == "is_empty":
            return f"{path} = null"
        if operator in ("contains", "starts_with"):
            if not isinstance(comparison.value, str):
                self.fail(f"{where}: {operator} needs a text value.")
                return ""
            pattern = format_soql("{:like}", comparison.value)
            prefix = "%" if operator == "contains" else ""
            return f"{path} LIKE '{prefix}{pattern}%'"
        values = (
            comparison.value if operator in ("in", "not_in") else (comparison.value,)
        )
        converted = [self.convert(value, field, category, where) for value in values]
        if any(value is _INVALID for value in converted):
            return ""
        if operator in ("in", "not_in"):
            literal = quote_soql_value(converted)
        else:
            literal = quote_soql_value(converted[0])
        return f"{path} {SOQL_OPERATORS[operator]} {literal}"

    def convert(self, value, field: FieldSchema, category: str, where: str):
        """Return the value as the Python type SOQL needs for the field."""
        if category == TEXT:
            if not isinstance(value, str):
                return self.invalid(where, value, 'text, in quotes, such as "5"')
            if (
                field.type == "picklist"
                and field.restricted_picklist
                and field.picklist_values
                and value not in field.picklist_values
            ):
                values = ", ".join(repr(item) for item in field.picklist_values)
                return self.invalid(
                    where, value, f"one of the picklist's values: {values}"
                )
            return value
        if category == ID:
            if not isinstance(value, str) or not SALESFORCE_ID.fullmatch(value):
                return self.invalid(where, value, "a 15- or 18-character record id")
            return value
        if category == BOOLEAN:
            if not isinstance(value, bool):
                return self.invalid(where, value, "true or false")
            return value
        if category == NUMBER:
            return self.number(value, field, where)
        if category == DATE:
            parsed = _parse_date(value)
            if parsed is None:
                return self.invalid(where, value, "a date such as 2026-01-31")
            return parsed
        parsed = _parse_datetime(value)
        if parsed is None:
            return self.invalid(
                where,
                value,
                "a date and time with a zone, such as 2026-01-31T09:00:00Z",
            )
        return parsed

    def number(self, value, field: FieldSchema, where: str):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.invalid(where, value, "a number, without quotes")
        if field.type in ("int", "long"):
            if isinstance(value, float) and not value.is_integer():
                return self.invalid(where, value, "a whole number")
            return int(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return int(value)
        if not math.isfinite(value) or "e" in repr(value):
            return self.invalid(
                where, value, "a number between 0.0001 and 10^15 in size"
            )
        return value

    def invalid(self, where: str, value, expected: str):
        self.fail(f"{where}: the value {value!r} is not valid; use {expected}.")
        return _INVALID

    def fail(self, problem: str) -> None:
        self.problems.append(problem)


_INVALID = object()


def _field(schema: ObjectSchema | None, name: str) -> FieldSchema | None:
    """Return the describe field `name`, compared case-insensitively as in SOQL."""
    if schema is None:
        return None
    exact = schema.get(name)
    if exact is not None:
        return exact
    folded = name.casefold()
    return next(
        (field for key, field in schema.fields.items() if key.casefold() == folded),
        None,
    )


def _parse_date(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None


def _parse_datetime(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed
