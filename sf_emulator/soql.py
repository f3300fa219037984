"""SOQL parser and evaluator for the local Salesforce emulator.

`parse` turns a SOQL statement into a `Query`, and `run` evaluates it over
records that the caller supplies through three callables, returning records
shaped as Salesforce's REST query resource returns them. The module is pure
Python: it has no Django imports and does no I/O.

Supported grammar (keywords, object names and field names are case-insensitive):

    query        := SELECT select_list FROM identifier [WHERE condition]
                    [ORDER BY order_item {"," order_item}]
                    [LIMIT integer] [OFFSET integer]
    select_list  := COUNT "(" ")" | field_path {"," field_path}
    field_path   := identifier {"." identifier}
    condition    := unary {AND unary} | unary {OR unary}
    unary        := NOT unary | "(" condition ")" | comparison
    comparison   := field_path operator value
                  | field_path [NOT] IN "(" value {"," value} ")"
                  | field_path LIKE string
    operator     := "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    value        := string | number | date | datetime | TRUE | FALSE | NULL
    order_item   := field_path [ASC | DESC] [NULLS (FIRST | LAST)]

As in Salesforce, a condition that mixes AND and OR needs parentheses. Errors
carry Salesforce's errorCode and message wording, including the
"ERROR at Row:R:Column:C" excerpt that points at the offending token.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from functools import cmp_to_key

__all__ = [
    "And",
    "Comparison",
    "FieldPath",
    "Literal",
    "Not",
    "Or",
    "OrderItem",
    "Query",
    "SoqlError",
    "Wildcard",
    "parse",
    "run",
]

# Limits from Salesforce's "SOQL and SOSL Limits": statement length, the length
# of each string in WHERE, and the largest OFFSET.
MAX_STATEMENT_LENGTH = 100_000
MAX_WHERE_STRING_LENGTH = 4_000
MAX_OFFSET = 2_000

MALFORMED_QUERY = "MALFORMED_QUERY"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"

_WSDL_HINT = (
    "Please reference your WSDL or the describe call for the appropriate names."
)


class SoqlError(Exception):
    """A query that Salesforce would reject, with its errorCode and message."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message

    def __repr__(self) -> str:
        return f"SoqlError({self.error_code!r}, {self.message!r})"


# ---------------------------------------------------------------------------
# Error locations
# ---------------------------------------------------------------------------

# NOTE: Salesforce does not document how much of the statement its excerpt
# shows. Observed messages show a whole short statement, and only the words
# around the error in a long one, so these widths are an estimate.
_EXCERPT_CHARS_BEFORE = 40
_EXCERPT_CHARS_AFTER = 60


def _located(text: str, position: int, detail: str) -> str:
    """Prefix detail with Salesforce's excerpt, caret and Row/Column line.

    Row and column are 1-based. A position at the end of the text (an
    unexpected end of statement) points one past the last character.
    """
    line_start = text.rfind("\n", 0, position) + 1
    line_end = text.find("\n", position)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end].rstrip("\r")
    offset = position - line_start
    row = text.count("\n", 0, position) + 1

    start = 0
    if offset > _EXCERPT_CHARS_BEFORE:
        start = offset - _EXCERPT_CHARS_BEFORE
        word_break = line.find(" ", start, offset)
        if word_break != -1:
            start = word_break + 1
    end = len(line)
    if end - offset > _EXCERPT_CHARS_AFTER:
        end = offset + _EXCERPT_CHARS_AFTER
        word_break = line.rfind(" ", offset, end)
        if word_break != -1:
            end = word_break

    caret = " " * (offset - start) + "^"
    location = f"ERROR at Row:{row}:Column:{offset + 1}"
    return f"\n{line[start:end]}\n{caret}\n{location}\n{detail}"


def _error_at(error_code: str, text: str, position: int, detail: str) -> SoqlError:
    return SoqlError(error_code, _located(text, position, detail))


def _unsupported(text: str, position: int, feature: str) -> SoqlError:
    """Build the error for valid SOQL that this emulator does not implement."""
    return _error_at(
        MALFORMED_QUERY,
        text,
        position,
        f"{feature} is not supported by the local Salesforce emulator",
    )


# ---------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------

IDENTIFIER = "identifier"
STRING = "string"
NUMBER = "number"
DATE = "date"
DATETIME = "datetime"
OPERATOR = "operator"
PUNCTUATION = "punctuation"
END = "end"

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:?\d{2})",
    re.ASCII,
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)
_DIGITS = "0123456789"
# The text quoted in the error for a malformed number, date or datetime.
_LITERAL_RUN = re.compile(r"[\w.:+-]+")
_OPERATORS = ("!=", "<>", "<=", ">=", "=", "<", ">")
_PUNCTUATION = "(),.:"
_WHITESPACE = " \t\r\n\f"


@dataclass(frozen=True)
class Token:
    """One lexical token and its offset in the statement.

    `value` is the typed value of a number, date or datetime literal. For a
    string it is the body with its escapes, which the parser decodes because
    LIKE patterns allow escapes that other strings reject.
    """

    kind: str
    text: str
    position: int
    value: object = None

    def is_keyword(self, *words: str) -> bool:
        return self.kind == IDENTIFIER and self.text.upper() in words

    @property
    def display(self) -> str:
        """The token as Salesforce quotes it in "unexpected token" messages."""
        return "<EOF>" if self.kind == END else self.text


def _tokenize(text: str) -> list[Token]:
    """Split a statement into tokens, ending with one END token.

    Raises MALFORMED_QUERY for a character that starts no token, an
    unterminated string, and a malformed number, date or datetime.
    """
    tokens = []
    position = 0
    while position < len(text):
        char = text[position]
        if char in _WHITESPACE:
            position += 1
        elif char == "'":
            token = _scan_string(text, position)
            tokens.append(token)
            position += len(token.text)
        elif char.isascii() and char.isalpha():
            match = _IDENTIFIER.match(text, position)
            tokens.append(Token(IDENTIFIER, match.group(), position))
            position = match.end()
        elif char in _DIGITS or (char == "-" and _is_digit_at(text, position + 1)):
            token = _scan_literal(text, position)
            tokens.append(token)
            position += len(token.text)
        elif text.startswith(_OPERATORS, position):
            symbol = next(op for op in _OPERATORS if text.startswith(op, position))
            tokens.append(Token(OPERATOR, symbol, position))
            position += len(symbol)
        elif char in _PUNCTUATION:
            tokens.append(Token(PUNCTUATION, char, position))
            position += 1
        else:
            # Salesforce's lexer reports this with a 0-based column, for
            # example for a double-quoted string.
            row = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1)
            raise _error_at(
                MALFORMED_QUERY,
                text,
                position,
                f"line {row}:{column} no viable alternative at character '{char}'",
            )
    tokens.append(Token(END, "", len(text)))
    return tokens


def _is_digit_at(text: str, position: int) -> bool:
    return position < len(text) and text[position] in _DIGITS


def _scan_string(text: str, start: int) -> Token:
    """Scan a single-quoted string, in which a backslash escapes the next char."""
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
        elif char == "'":
            return Token(
                STRING, text[start : position + 1], start, text[start + 1 : position]
            )
        else:
            position += 1
    raise _error_at(
        MALFORMED_QUERY,
        text,
        start,
        "mismatched character '<EOF>' expecting '''",
    )


def _scan_literal(text: str, start: int) -> Token:
    """Scan a number, date or datetime literal starting at a digit or "-"."""
    for kind, pattern in ((DATETIME, _DATETIME), (DATE, _DATE), (NUMBER, _NUMBER)):
        match = pattern.match(text, start)
        if match is None:
            continue
        follower = text[match.end() : match.end() + 1]
        if follower and (follower.isalnum() or follower in "_.:"):
            break
        return Token(kind, match.group(), start, _literal_value(kind, match, text))
    run = _LITERAL_RUN.match(text, start).group()
    raise _error_at(MALFORMED_QUERY, text, start, f"unexpected token: '{run}'")


def _literal_value(kind: str, match: re.Match, text: str) -> object:
    """Convert a matched literal. An impossible calendar date is MALFORMED_QUERY."""
    if kind == NUMBER:
        return Decimal(match.group())
    try:
        if kind == DATE:
            return date(*(int(part) for part in match.groups()))
        return _datetime_from_parts(*match.groups())
    except ValueError:
        raise _error_at(
            MALFORMED_QUERY,
            text,
            match.start(),
            f"invalid {'date' if kind == DATE else 'datetime'} literal: "
            f"'{match.group()}'",
        ) from None


def _datetime_from_parts(
    year, month, day, hour, minute, second, fraction, zone
) -> datetime:
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    if zone in (None, "Z"):
        tzinfo = UTC
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tzinfo = timezone(sign * offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour),
        int(minute),
        int(second),
        microsecond,
        tzinfo=tzinfo,
    )


# ---------------------------------------------------------------------------
# String literals
# ---------------------------------------------------------------------------

# Escapes after a backslash; the letters may also be upper case (\N is \n).
_SIMPLE_ESCAPES = {
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
}
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")


class Wildcard(Enum):
    """An unescaped wildcard in a LIKE pattern."""

    ANY_SEQUENCE = "%"
    ANY_CHARACTER = "_"


def _decode_string(token: Token, text: str, *, like: bool) -> list:
    """Decode a string literal's escapes into a list of characters.

    Accepts Salesforce's escapes (\\n \\r \\t \\b \\f, upper or lower case,
    \\" \\' \\\\ and \\uXXXX). With like=True, unescaped % and _ become the
    wildcard markers and \\% \\_ stand for the characters themselves; outside
    LIKE those two escapes, like any other backslash sequence, raise
    MALFORMED_QUERY.
    """
    body = token.value
    parts: list = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            if like and char == "%":
                parts.append(Wildcard.ANY_SEQUENCE)
            elif like and char == "_":
                parts.append(Wildcard.ANY_CHARACTER)
            else:
                parts.append(char)
            index += 1
            continue
        escape = body[index + 1 : index + 2]
        if escape.lower() in _SIMPLE_ESCAPES:
            parts.append(_SIMPLE_ESCAPES[escape.lower()])
            index += 2
        elif like and escape in ("%", "_"):
            parts.append(escape)
            index += 2
        elif escape == "u" and _HEX4.fullmatch(body[index + 2 : index + 6]):
            parts.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
        else:
            sequence = body[index : index + 2]
            raise _error_at(
                MALFORMED_QUERY,
                text,
                token.position,
                f"Invalid string literal '{body}'. Illegal character sequence "
                f"'{sequence}' in string literal.",
            )
    return _join_surrogate_pairs(parts)


def _join_surrogate_pairs(parts: list) -> list:
    """Combine \\uD83D\\uDE00-style UTF-16 surrogate pairs into one character."""
    joined: list = []
    for part in parts:
        previous = joined[-1] if joined else None
        if (
            isinstance(part, str)
            and isinstance(previous, str)
            and "\udc00" <= part <= "\udfff"
            and "\ud800" <= previous <= "\udbff"
        ):
            high = ord(previous) - 0xD800
            low = ord(part) - 0xDC00
            joined[-1] = chr(0x10000 + (high << 10) + low)
        else:
            joined.append(part)
    return joined


# ---------------------------------------------------------------------------
# Parsed form
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldPath:
    """A field reference as written, such as ("Account", "Name"), and its offset."""

    parts: tuple[str, ...]
    position: int

    @property
    def text(self) -> str:
        return ".".join(self.parts)


@dataclass(frozen=True)
class Literal:
    """A value in WHERE.

    `kind` is "string", "number", "date", "datetime", "boolean", "null" or
    "pattern". A pattern is a LIKE operand and its `value` is a tuple of
    characters and Wildcard members. Numbers are Decimal and datetimes are
    timezone-aware.
    """

    kind: str
    value: object
    position: int


@dataclass(frozen=True)
class Comparison:
    """A field compared with one literal, or with several for IN and NOT IN.

    `operator` is "=", "!=" (also for "<>"), "<", "<=", ">", ">=", "LIKE",
    "IN" or "NOT IN".
    """

    field: FieldPath
    operator: str
    values: tuple[Literal, ...]


@dataclass(frozen=True)
class And:
    operands: tuple


@dataclass(frozen=True)
class Or:
    operands: tuple


@dataclass(frozen=True)
class Not:
    operand: object


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key; nulls sort first unless NULLS LAST is given."""

    field: FieldPath
    descending: bool = False
    nulls_last: bool = False


@dataclass(frozen=True)
class Query:
    """A parsed SELECT statement.

    `sobject` is the object name as written in FROM, and `run` resolves it to
    its canonical case. `is_count` marks `SELECT COUNT()`, whose result is a row
    count rather than records, so `select_fields` is empty for it.
    """

    text: str
    sobject: str
    sobject_position: int
    select_fields: tuple[FieldPath, ...]
    is_count: bool = False
    where: Comparison | And | Or | Not | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None
    offset: int | None = None


# ---------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------

# SOQL reserved words, which cannot name a field.
_RESERVED = frozenset(
    "AND ASC DESC EXCLUDES FIRST FROM GROUP HAVING IN INCLUDES LAST LIKE LIMIT "
    "NOT NULL NULLS OR SELECT WHERE WITH".split()
)
# Clauses that are valid SOQL but that this emulator does not implement.
_UNSUPPORTED_CLAUSES = {
    "GROUP": "GROUP BY",
    "HAVING": "HAVING",
    "WITH": "WITH",
    "FOR": "FOR VIEW/REFERENCE/UPDATE",
    "USING": "USING SCOPE",
    "ALL": "ALL ROWS",
    "UPDATE": "UPDATE TRACKING/VIEWSTAT",
}
_DATE_LITERAL_NAMES = re.compile(
    r"(YESTERDAY|TODAY|TOMORROW|(LAST|THIS|NEXT)_(WEEK|MONTH|QUARTER|YEAR|FISCAL_\w+)"
    r"|LAST_90_DAYS|NEXT_90_DAYS|(LAST|NEXT|N)_N_\w+|N_\w+_AGO)",
    re.IGNORECASE,
)
_NOT_OBJECT_NAMES = ("SELECT", "FROM", "WHERE", "LIMIT", "OFFSET")
_COMPARISON_OPERATORS = {"=": "=", "!=": "!=", "<>": "!=", "<": "<", "<=": "<="}
_COMPARISON_OPERATORS.update({">": ">", ">=": ">="})


class _Parser:
    """Recursive-descent parser: one method per grammar rule."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    # Token helpers

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def unexpected(self, token: Token) -> SoqlError:
        return _error_at(
            MALFORMED_QUERY,
            self.text,
            token.position,
            f"unexpected token: '{token.display}'",
        )

    def expect_keyword(self, word: str) -> Token:
        token = self.advance()
        if not token.is_keyword(word):
            raise self.unexpected(token)
        return token

    def expect_punctuation(self, symbol: str) -> Token:
        token = self.advance()
        if token.kind != PUNCTUATION or token.text != symbol:
            raise self.unexpected(token)
        return token

    def at_punctuation(self, symbol: str) -> bool:
        token = self.peek()
        return token.kind == PUNCTUATION and token.text == symbol

    def reject_unsupported_clause(self) -> None:
        """Raise a clear error for a valid but unimplemented clause keyword."""
        token = self.peek()
        if token.kind == IDENTIFIER and token.text.upper() in _UNSUPPORTED_CLAUSES:
            clause = _UNSUPPORTED_CLAUSES[token.text.upper()]
            raise _unsupported(self.text, token.position, f"The {clause} clause")

    # Grammar rules

    def parse_query(self) -> Query:
        """Parse `query` and require that nothing follows it."""
        self.expect_keyword("SELECT")
        select_fields, is_count = self.parse_select_list()
        self.expect_keyword("FROM")
        sobject_token = self.parse_object_name()

        where = None
        if self.peek().is_keyword("WHERE"):
            self.advance()
            where = self.parse_condition()
        self.reject_unsupported_clause()

        order_by: tuple[OrderItem, ...] = ()
        if self.peek().is_keyword("ORDER"):
            order_by = self.parse_order_by()
        limit = self.parse_integer_clause("LIMIT")
        offset = self.parse_integer_clause("OFFSET")
        if offset is not None and offset > MAX_OFFSET:
            raise SoqlError(
                NUMBER_OUTSIDE_VALID_RANGE,
                f"Maximum SOQL offset allowed is {MAX_OFFSET}",
            )

        self.reject_unsupported_clause()
        if self.peek().kind != END:
            raise self.unexpected(self.peek())
        return Query(
            text=self.text,
            sobject=sobject_token.text,
            sobject_position=sobject_token.position,
            select_fields=select_fields,
            is_count=is_count,
            where=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )

    def parse_select_list(self) -> tuple[tuple[FieldPath, ...], bool]:
        """Parse `select_list`, which is COUNT() alone or at least one field path."""
        token = self.peek()
        if token.is_keyword("COUNT") and self.peek(1).text == "(":
            if self.peek(2).text != ")":
                raise _unsupported(
                    self.text, token.position, "COUNT with a field (only COUNT())"
                )
            self.index += 3
            return (), True

        fields = [self.parse_select_item()]
        while self.at_punctuation(","):
            self.advance()
            fields.append(self.parse_select_item())
        return tuple(fields), False

    def parse_select_item(self) -> FieldPath:
        """Parse one select item as a field path, rejecting subqueries and functions."""
        token = self.peek()
        if token.kind == PUNCTUATION and token.text == "(":
            raise _unsupported(self.text, token.position, "A subquery in SELECT")
        if token.is_keyword("TYPEOF"):
            raise _unsupported(self.text, token.position, "TYPEOF")
        if token.kind == IDENTIFIER and self.peek(1).text == "(":
            function = f"The function {token.text.upper()}()"
            raise _unsupported(self.text, token.position, function)
        return self.parse_field_path()

    def parse_field_path(self) -> FieldPath:
        """Parse `field_path`, whose first identifier may not be a reserved word."""
        first = self.advance()
        if first.kind != IDENTIFIER or first.text.upper() in _RESERVED:
            raise self.unexpected(first)
        parts = [first.text]
        while self.at_punctuation("."):
            self.advance()
            token = self.advance()
            if token.kind != IDENTIFIER:
                raise self.unexpected(token)
            parts.append(token.text)
        return FieldPath(tuple(parts), first.position)

    def parse_object_name(self) -> Token:
        """Parse the object name after FROM and reject an alias after it.

        Reserved words are allowed because Group is both a keyword and an object.
        """
        token = self.advance()
        if token.kind != IDENTIFIER or token.is_keyword(*_NOT_OBJECT_NAMES):
            raise self.unexpected(token)
        following = self.peek()
        not_alias = {"WHERE", "ORDER", "LIMIT", "OFFSET", *_UNSUPPORTED_CLAUSES}
        not_alias.update(_RESERVED)
        if following.kind == IDENTIFIER and following.text.upper() not in not_alias:
            raise _unsupported(self.text, following.position, "An alias in FROM")
        return token

    def parse_condition(self) -> Comparison | And | Or | Not:
        """Parse `condition`, a chain of one connective.

        As in SOQL, mixing AND and OR without parentheses is a syntax error.
        """
        first = self.parse_unary()
        if not self.peek().is_keyword("AND", "OR"):
            return first
        connective = self.peek().text.upper()
        operands = [first]
        while self.peek().is_keyword("AND", "OR"):
            token = self.advance()
            if token.text.upper() != connective:
                raise self.unexpected(token)
            operands.append(self.parse_unary())
        if connective == "AND":
            return And(tuple(operands))
        return Or(tuple(operands))

    def parse_unary(self) -> Comparison | And | Or | Not:
        """Parse `unary`: NOT, a parenthesized condition or one comparison."""
        token = self.peek()
        if token.is_keyword("NOT"):
            self.advance()
            return Not(self.parse_unary())
        if token.kind == PUNCTUATION and token.text == "(":
            self.advance()
            condition = self.parse_condition()
            self.expect_punctuation(")")
            return condition
        return self.parse_comparison()

    def parse_comparison(self) -> Comparison:
        """Parse `comparison`, a field path with an operator and its literals."""
        field = self.parse_field_path()
        token = self.advance()
        if token.kind == OPERATOR:
            value = self.parse_value()
            return Comparison(field, _COMPARISON_OPERATORS[token.text], (value,))
        if token.is_keyword("LIKE"):
            return Comparison(field, "LIKE", (self.parse_value(like=True),))
        if token.is_keyword("IN"):
            return Comparison(field, "IN", self.parse_value_list())
        if token.is_keyword("NOT") and self.peek().is_keyword("IN"):
            self.advance()
            return Comparison(field, "NOT IN", self.parse_value_list())
        if token.is_keyword("INCLUDES", "EXCLUDES"):
            raise _unsupported(self.text, token.position, token.text.upper())
        raise self.unexpected(token)

    def parse_value_list(self) -> tuple[Literal, ...]:
        """Parse a parenthesized list of literals, rejecting semi-join subqueries."""
        self.expect_punctuation("(")
        if self.peek().is_keyword("SELECT"):
            raise _unsupported(self.text, self.peek().position, "A semi-join subquery")
        values = [self.parse_value()]
        while self.at_punctuation(","):
            self.advance()
            values.append(self.parse_value())
        self.expect_punctuation(")")
        return tuple(values)

    def parse_value(self, *, like: bool = False) -> Literal:
        """Parse `value`, a typed literal. A LIKE operand must be a string."""
        token = self.advance()
        if token.kind == STRING:
            return self.parse_string(token, like=like)
        if like:
            raise self.unexpected(token)
        if token.kind in (NUMBER, DATE, DATETIME):
            return Literal(token.kind, token.value, token.position)
        if token.is_keyword("TRUE", "FALSE"):
            return Literal("boolean", token.text.upper() == "TRUE", token.position)
        if token.is_keyword("NULL"):
            return Literal("null", None, token.position)
        if token.kind == IDENTIFIER and _DATE_LITERAL_NAMES.fullmatch(token.text):
            raise _unsupported(
                self.text, token.position, f"The date literal {token.text.upper()}"
            )
        raise self.unexpected(token)

    def parse_string(self, token: Token, *, like: bool) -> Literal:
        """Decode a string literal and enforce the length limit for WHERE strings."""
        parts = _decode_string(token, self.text, like=like)
        if len(parts) > MAX_WHERE_STRING_LENGTH:
            raise _error_at(
                MALFORMED_QUERY,
                self.text,
                token.position,
                f"String literal is {len(parts)} characters long, but a string in "
                f"WHERE may have at most {MAX_WHERE_STRING_LENGTH} characters",
            )
        if like:
            return Literal("pattern", tuple(parts), token.position)
        return Literal("string", "".join(parts), token.position)

    def parse_order_by(self) -> tuple[OrderItem, ...]:
        """Parse ORDER BY and its comma-separated order items."""
        self.expect_keyword("ORDER")
        self.expect_keyword("BY")
        items = [self.parse_order_item()]
        while self.at_punctuation(","):
            self.advance()
            items.append(self.parse_order_item())
        return tuple(items)

    def parse_order_item(self) -> OrderItem:
        """Parse `order_item`, a field path with direction and null placement."""
        field = self.parse_field_path()
        descending = False
        if self.peek().is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = False
        if self.peek().is_keyword("NULLS"):
            self.advance()
            placement = self.advance()
            if not placement.is_keyword("FIRST", "LAST"):
                raise self.unexpected(placement)
            nulls_last = placement.text.upper() == "LAST"
        return OrderItem(field, descending, nulls_last)

    def parse_integer_clause(self, keyword: str) -> int | None:
        """Parse LIMIT or OFFSET and its non-negative integer, or return None."""
        if not self.peek().is_keyword(keyword):
            return None
        self.advance()
        token = self.advance()
        if token.kind != NUMBER or not token.text.isdigit():
            raise self.unexpected(token)
        return int(token.text)


def parse(text: str) -> Query:
    """Parse a SOQL SELECT statement.

    Raises SoqlError with errorCode MALFORMED_QUERY for syntax errors and for
    valid SOQL this emulator does not implement, and NUMBER_OUTSIDE_VALID_RANGE
    for an OFFSET above 2,000. Object and field names are checked by `run`.
    """
    if len(text) > MAX_STATEMENT_LENGTH:
        raise SoqlError(
            MALFORMED_QUERY,
            f"SOQL statement is {len(text)} characters long, but the maximum is "
            f"{MAX_STATEMENT_LENGTH} characters",
        )
    return _Parser(text).parse_query()


# ---------------------------------------------------------------------------
# Resolving names against describe
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hop:
    """One step through a reference field, such as Contact.AccountId to Account."""

    relationship_name: str
    reference_field: str
    targets: tuple[str, ...]


@dataclass(frozen=True)
class _ResolvedField:
    """A field path checked against describe, with canonical names."""

    hops: tuple[_Hop, ...]
    name: str
    describe: dict
    path: FieldPath

    @property
    def canonical_path(self) -> str:
        return ".".join([hop.relationship_name for hop in self.hops] + [self.name])


class _Schema:
    """Case-insensitive lookups over describe_fields, cached for one run."""

    def __init__(self, text: str, describe_fields: Callable[[str], dict | None]):
        self.text = text
        self._describe_fields = describe_fields
        self._fields: dict[str, dict[str, tuple[str, dict]] | None] = {}
        self._relationships: dict[str, dict[str, tuple[str, dict]]] = {}

    def fields_of(self, sobject: str) -> dict[str, tuple[str, dict]] | None:
        """Map casefolded field names to (canonical name, describe), or None."""
        if sobject not in self._fields:
            described = self._describe_fields(sobject)
            if described is None:
                self._fields[sobject] = None
            else:
                self._fields[sobject] = {
                    name.casefold(): (name, field) for name, field in described.items()
                }
                self._relationships[sobject] = {
                    field["relationshipName"].casefold(): (name, field)
                    for name, field in described.items()
                    if field.get("relationshipName") and field.get("referenceTo")
                }
        return self._fields[sobject]

    def resolve_object(
        self, written: str, position: int, sobject_names: Iterable[str] | None
    ) -> str:
        """Return the canonical object name, or raise INVALID_TYPE."""
        name = written
        if sobject_names is not None:
            by_casefold = {known.casefold(): known for known in sobject_names}
            name = by_casefold.get(written.casefold(), written)
        if self.fields_of(name) is None:
            raise _error_at(
                INVALID_TYPE,
                self.text,
                position,
                f"sObject type '{written}' is not supported. If you are attempting "
                "to use a custom object, be sure to append the '__c' after the "
                f"entity name. {_WSDL_HINT}",
            )
        return name

    def resolve_field(self, sobject: str, path: FieldPath) -> _ResolvedField:
        """Follow relationship names, then find the field, or raise INVALID_FIELD."""
        entities: tuple[str, ...] = (sobject,)
        hops = []
        for segment in path.parts[:-1]:
            reference = self._find_relationship(entities, segment)
            targets = ()
            if reference is not None:
                targets = tuple(
                    target
                    for target in reference[1]["referenceTo"]
                    if self.fields_of(target) is not None
                )
            if not targets:
                raise _error_at(
                    INVALID_FIELD,
                    self.text,
                    path.position,
                    f"Didn't understand relationship '{segment}' in field path. If "
                    "you are attempting to use a custom relationship, be sure to "
                    "append the '__r' after the custom relationship name. "
                    f"{_WSDL_HINT}",
                )
            reference_field, describe = reference
            hops.append(_Hop(describe["relationshipName"], reference_field, targets))
            entities = targets

        written = path.parts[-1]
        for entity in entities:
            found = self.fields_of(entity).get(written.casefold())
            if found is not None:
                return _ResolvedField(tuple(hops), found[0], found[1], path)
        raise _error_at(
            INVALID_FIELD,
            self.text,
            path.position,
            f"No such column '{written}' on entity '{entities[0]}'. If you are "
            "attempting to use a custom field, be sure to append the '__c' after "
            f"the custom field name. {_WSDL_HINT}",
        )

    def _find_relationship(
        self, entities: tuple[str, ...], name: str
    ) -> tuple[str, dict] | None:
        """Return (reference field name, describe) for a relationship name."""
        for entity in entities:
            self.fields_of(entity)
            found = self._relationships.get(entity, {}).get(name.casefold())
            if found is not None:
                return found
        return None


# ---------------------------------------------------------------------------
# Field categories and value normalization
# ---------------------------------------------------------------------------

TEXT = "text"
ID = "id"
BOOLEAN = "boolean"
NUMERIC = "number"

_CATEGORY_BY_TYPE = {
    "id": ID,
    "reference": ID,
    "boolean": BOOLEAN,
    "double": NUMERIC,
    "int": NUMERIC,
    "long": NUMERIC,
    "currency": NUMERIC,
    "percent": NUMERIC,
    "date": DATE,
    "datetime": DATETIME,
}
# The literal kinds each category accepts (null is accepted everywhere), and the
# type name Salesforce uses in its "value of filter criterion" message.
_ACCEPTED_LITERALS = {
    TEXT: ("string", "string"),
    ID: ("string", "id"),
    BOOLEAN: ("boolean", "boolean"),
    NUMERIC: ("number", "double"),
    DATE: ("date", "date"),
    DATETIME: ("datetime", "dateTime"),
}
_ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_ID_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Stored datetimes: Salesforce's 2026-01-01T00:00:00.000+0000 and other ISO 8601
# forms, with the zone optional.
_STORED_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def _category(describe: dict) -> str:
    """Group a describe type by how SOQL compares it; unknown types are text."""
    return _CATEGORY_BY_TYPE.get(str(describe.get("type", "")).lower(), TEXT)


def _to_18_char_id(value: str) -> str:
    """Append the case checksum to a 15-character id; other values pass through."""
    if len(value) != 15 or not (value.isascii() and value.isalnum()):
        return value
    suffix = ""
    for block_start in range(0, 15, 5):
        bits = 0
        for position, char in enumerate(value[block_start : block_start + 5]):
            if char.isupper():
                bits |= 1 << position
        suffix += _ID_CHECKSUM_CHARS[bits]
    return value + suffix


def _is_valid_id(value: str) -> bool:
    if not (value.isascii() and value.isalnum()):
        return False
    if len(value) == 15:
        return True
    return len(value) == 18 and all(
        char in _ID_CHECKSUM_CHARS for char in value[15:].upper()
    )


def _normalize(category: str, value: object) -> object:
    """Turn a stored or literal value into a comparable one, or None for null.

    Text is casefolded because SOQL compares strings case-insensitively, and an
    empty string counts as null because Salesforce stores blank text as null.
    Ids are compared in casefolded 18-character form, which is unique because
    the checksum encodes the case of the first 15 characters. A null boolean
    is false, as Salesforce documents for `= null` on a boolean field.
    """
    if category == BOOLEAN:
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)
    if value is None or value == "":
        return None
    if category == TEXT:
        return str(value).casefold()
    if category == ID:
        return _to_18_char_id(str(value)).casefold()
    if category == NUMERIC:
        return Decimal(str(value))
    if category == DATE:
        return _to_date(value)
    return _to_datetime(value)


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _to_datetime(value: object) -> datetime:
    """Read a stored datetime; a value without a zone is taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    match = _STORED_DATETIME.fullmatch(text)
    if match is None:
        raise ValueError(f"stored datetime value is not ISO 8601: {text!r}")
    return _datetime_from_parts(*match.groups())


# ---------------------------------------------------------------------------
# Binding WHERE and ORDER BY to fields
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _BoundComparison:
    """A comparison with its field resolved and its operand normalized.

    `operand` is a normalized value, a frozenset for IN and NOT IN, or a
    compiled pattern for LIKE.
    """

    field: _ResolvedField
    category: str
    operator: str
    operand: object


@dataclass(frozen=True)
class _OrderKey:
    field: _ResolvedField
    category: str
    descending: bool
    nulls_last: bool


class _Binder:
    """Validation of WHERE and ORDER BY against describe, and operand setup."""

    def __init__(self, schema: _Schema, sobject: str) -> None:
        self.schema = schema
        self.sobject = sobject
        self.text = schema.text

    def bind_condition(self, node):
        if isinstance(node, And):
            return And(tuple(self.bind_condition(item) for item in node.operands))
        if isinstance(node, Or):
            return Or(tuple(self.bind_condition(item) for item in node.operands))
        if isinstance(node, Not):
            return Not(self.bind_condition(node.operand))
        return self.bind_comparison(node)

    def bind_comparison(self, comparison: Comparison) -> _BoundComparison:
        """Check that the field is filterable and that each literal fits its type."""
        field = self.schema.resolve_field(self.sobject, comparison.field)
        if not field.describe.get("filterable", True):
            raise _error_at(
                INVALID_FIELD,
                self.text,
                comparison.field.position,
                f"field '{field.name}' can not be filtered in a query call",
            )
        category = _category(field.describe)
        operator_name = comparison.operator

        if operator_name == "LIKE":
            if category not in (TEXT, ID):
                raise self._invalid_operator(comparison, field)
            pattern = _compile_like(comparison.values[0].value)
            return _BoundComparison(field, category, operator_name, pattern)
        if operator_name in _ORDERING and category == BOOLEAN:
            raise self._invalid_operator(comparison, field)

        values = [
            self.bind_literal(literal, field, category) for literal in comparison.values
        ]
        if operator_name in ("IN", "NOT IN"):
            return _BoundComparison(field, category, operator_name, frozenset(values))
        return _BoundComparison(field, category, operator_name, values[0])

    def bind_literal(self, literal: Literal, field: _ResolvedField, category: str):
        """Normalize a literal, raising Salesforce's error for the wrong type."""
        if literal.kind == "null":
            return _normalize(category, None)
        accepted_kind, type_name = _ACCEPTED_LITERALS[category]
        if literal.kind != accepted_kind:
            quoting = "should be" if accepted_kind == "string" else "should not be"
            if category == NUMERIC and field.describe.get("type") in ("int", "long"):
                type_name = field.describe["type"]
            raise _error_at(
                INVALID_FIELD,
                self.text,
                literal.position,
                f"value of filter criterion for field '{field.canonical_path}' must "
                f"be of type {type_name} and {quoting} enclosed in quotes",
            )
        if category == ID and literal.value and not _is_valid_id(literal.value):
            raise _error_at(
                INVALID_QUERY_FILTER_OPERATOR,
                self.text,
                literal.position,
                f"invalid ID field: {literal.value}",
            )
        return _normalize(category, literal.value)

    def bind_order_item(self, item: OrderItem) -> _OrderKey:
        field = self.schema.resolve_field(self.sobject, item.field)
        if not field.describe.get("sortable", True):
            raise _error_at(
                INVALID_FIELD,
                self.text,
                item.field.position,
                f"field '{field.name}' can not be sorted in a query call",
            )
        return _OrderKey(
            field, _category(field.describe), item.descending, item.nulls_last
        )

    def _invalid_operator(self, comparison: Comparison, field: _ResolvedField):
        # NOTE: this wording is the emulator's own. Salesforce rejects these
        # filters too, but its exact message is unverified.
        field_type = field.describe.get("type", "this")
        return _error_at(
            INVALID_QUERY_FILTER_OPERATOR,
            self.text,
            comparison.field.position,
            f"operator {comparison.operator} is not valid on {field_type} field "
            f"'{field.canonical_path}'",
        )


def _compile_like(parts: tuple) -> re.Pattern:
    """Compile LIKE pattern parts into a regex matched against casefolded text."""
    pieces = []
    for part in parts:
        if part is Wildcard.ANY_SEQUENCE:
            pieces.append(".*")
        elif part is Wildcard.ANY_CHARACTER:
            pieces.append(".")
        else:
            pieces.append(re.escape(part.casefold()))
    return re.compile("".join(pieces), re.DOTALL)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


class _RelatedRecords:
    """Parent records reached through reference fields, cached for one run."""

    def __init__(self, get: Callable[[str, str], dict | None]) -> None:
        self._get = get
        self._cache: dict[tuple[tuple[str, ...], str], tuple[str, dict] | None] = {}

    def follow(self, record: dict, hop: _Hop) -> tuple[str, dict] | None:
        """Return (object name, parent record), or None for a null reference."""
        reference = record.get(hop.reference_field)
        if not reference:
            return None
        record_id = _to_18_char_id(str(reference))
        key = (hop.targets, record_id)
        if key not in self._cache:
            self._cache[key] = None
            for target in hop.targets:
                parent = self._get(target, record_id)
                if parent is not None:
                    self._cache[key] = (target, parent)
                    break
        return self._cache[key]

    def value(self, record: dict, field: _ResolvedField) -> object:
        """Return the field's value, or None where a reference on the path is null."""
        current = record
        for hop in field.hops:
            parent = self.follow(current, hop)
            if parent is None:
                return None
            current = parent[1]
        return current.get(field.name)


def _matches(node, record: dict, related: _RelatedRecords) -> bool:
    if isinstance(node, And):
        return all(_matches(item, record, related) for item in node.operands)
    if isinstance(node, Or):
        return any(_matches(item, record, related) for item in node.operands)
    if isinstance(node, Not):
        return not _matches(node.operand, record, related)
    actual = _normalize(node.category, related.value(record, node.field))
    return _compare(node.operator, actual, node.operand)


def _compare(operator_name: str, actual: object, operand: object) -> bool:
    """Apply one operator. As in SOQL, null is a plain value for = != IN NOT IN."""
    # NOTE: `!=` and NOT IN match rows whose field is null. That is SOQL's
    # documented treatment of null as a value for `!=`; for NOT IN it is
    # assumed to be the same.
    if operator_name == "=":
        return actual == operand
    if operator_name == "!=":
        return actual != operand
    if operator_name == "IN":
        return actual in operand
    if operator_name == "NOT IN":
        return actual not in operand
    if operator_name == "LIKE":
        return actual is not None and operand.fullmatch(actual) is not None
    if actual is None or operand is None:
        return False
    return _ORDERING[operator_name](actual, operand)


def _sort_rows(rows: list[dict], keys: list[_OrderKey], related: _RelatedRecords):
    """Sort rows by the ORDER BY keys. Nulls sort first unless NULLS LAST is set."""
    decorated = [
        (
            [_normalize(key.category, related.value(row, key.field)) for key in keys],
            row,
        )
        for row in rows
    ]

    def compare(left, right) -> int:
        for key, a, b in zip(keys, left[0], right[0], strict=True):
            if a is None and b is None:
                continue
            if a is None or b is None:
                null_first = -1 if a is None else 1
                return -null_first if key.nulls_last else null_first
            if a != b:
                result = -1 if a < b else 1
                return -result if key.descending else result
        return 0

    decorated.sort(key=cmp_to_key(compare))
    return [row for _, row in decorated]


# ---------------------------------------------------------------------------
# Output records
# ---------------------------------------------------------------------------


def _attributes(sobject: str, record: dict, api_version: str) -> dict:
    version = api_version.removeprefix("v")
    return {
        "type": sobject,
        "url": f"/services/data/v{version}/sobjects/{sobject}/{record.get('Id')}",
    }


def _shape_record(
    sobject: str,
    record: dict,
    selected: list[_ResolvedField],
    related: _RelatedRecords,
    api_version: str,
) -> dict:
    """Build the output record: attributes, then the selected fields in order.

    A relationship path becomes a nested object with its own attributes at the
    position of the first field selected through it, or null when the
    reference is empty.
    """
    output = {"attributes": _attributes(sobject, record, api_version)}
    for field in selected:
        container = output
        current = record
        for hop in field.hops:
            parent = related.follow(current, hop)
            if hop.relationship_name not in container:
                nested = None
                if parent is not None:
                    nested = {"attributes": _attributes(*parent, api_version)}
                container[hop.relationship_name] = nested
            if parent is None:
                break
            container = container[hop.relationship_name]
            current = parent[1]
        else:
            container[field.name] = current.get(field.name)
    return output


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------


def run(
    query: Query,
    *,
    describe_fields: Callable[[str], dict[str, dict] | None],
    fetch: Callable[[str], Iterable[dict]],
    get: Callable[[str, str], dict | None],
    api_version: str = "62.0",
    sobject_names: Iterable[str] | None = None,
) -> list[dict]:
    """Evaluate a parsed query and return the selected records in order.

    `describe_fields(name)` returns an object's describe field dicts keyed by
    API name, or None if the object does not exist. `fetch(name)` yields every
    live record of an object, and `get(name, id)` returns one record by its
    18-character id. Pass `sobject_names`, the canonical object names, to
    resolve FROM case-insensitively; without it the name goes to
    describe_fields as written.

    Records are shaped as the REST query resource returns them. For a COUNT()
    query (`query.is_count`) each entry holds only `attributes`: the list's
    length is the count to report as totalSize, with an empty records list.
    ORDER BY, OFFSET and LIMIT apply in that order, COUNT() included.

    Raises SoqlError with INVALID_TYPE, INVALID_FIELD or
    INVALID_QUERY_FILTER_OPERATOR before reading any record.
    """
    schema = _Schema(query.text, describe_fields)
    sobject = schema.resolve_object(
        query.sobject, query.sobject_position, sobject_names
    )

    selected = []
    seen_paths = set()
    for path in query.select_fields:
        field = schema.resolve_field(sobject, path)
        if field.canonical_path.casefold() in seen_paths:
            raise _error_at(
                INVALID_FIELD,
                query.text,
                path.position,
                f"duplicate field selected: {field.canonical_path}",
            )
        seen_paths.add(field.canonical_path.casefold())
        selected.append(field)

    binder = _Binder(schema, sobject)
    condition = binder.bind_condition(query.where) if query.where is not None else None
    order_keys = [binder.bind_order_item(item) for item in query.order_by]

    related = _RelatedRecords(get)
    rows = [
        record
        for record in fetch(sobject)
        if condition is None or _matches(condition, record, related)
    ]
    if order_keys:
        rows = _sort_rows(rows, order_keys, related)
    if query.offset:
        rows = rows[query.offset :]
    if query.limit is not None:
        rows = rows[: query.limit]
    return [_shape_record(sobject, row, selected, related, api_version) for row in rows]
