"""The expressions a workflow definition may hold, and how they are evaluated.

SpiffWorkflow evaluates gateway conditions and DMN entries as Python with `eval`: a definition edited in the
browser would then run whatever code an administrator (or a stolen admin session) typed, inside the server.
Here every expression is parsed first and must consist only of data: names of the instance's data,
literals, comparisons, arithmetic, boolean logic, `in`, subscripts, comprehensions, a few pure functions
(`len`, `min`, `max`, `sum`, `abs`, `round`, `any`, `all`) and a few read-only methods (`values`, `keys`,
`items`, `get`, `lower`, `upper`). No attribute but those, nothing starting with `_`, no builtins, no
imports, no lambdas. Script tasks are refused by the validator for the same reason.

Camunda Modeler writes conditions in JUEL (`${amount > 1000 && approved}`) and DMN entries in FEEL
(`"A","B"`, `[1..5]`, `not("C")`, `true`). `from_juel` and `from_feel_unary_test` turn the simple forms of
both into the Python that SpiffWorkflow's engines expect; what they cannot translate stays as written and
is refused by the check above, so the validator names it.
"""
from __future__ import annotations

import ast
import re
import threading
from typing import Any

_SAFE_FUNCTIONS = {"len": len, "min": min, "max": max, "sum": sum, "abs": abs, "round": round, "any": any,
                   "all": all, "int": int, "float": float, "str": str, "bool": bool}
_SAFE_METHODS = frozenset({"values", "keys", "items", "get", "lower", "upper", "strip", "startswith", "endswith"})
# Names SpiffWorkflow itself binds while evaluating a DMN entry (`?` becomes `dmninputexpr`).
_ENGINE_NAMES = frozenset({"dmninputexpr"})

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Add,
    ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
    ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.Tuple, ast.List, ast.Set, ast.Dict, ast.Subscript, ast.Slice, ast.IfExp, ast.Call, ast.Attribute,
    ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.comprehension,
)


class UnsafeExpression(ValueError):
    """An expression that is not plain data (see the module docstring); `reason` says what."""

    def __init__(self, expression: str, reason: str):
        self.expression = expression
        self.reason = reason
        super().__init__(f"{reason}: {expression[:200]}")


def check(expression: str) -> ast.Expression:
    """The parsed expression if it is plain data; SyntaxError if it does not parse, UnsafeExpression if it
    reaches for anything else."""
    if not isinstance(expression, str) or len(expression) > 2000:
        raise UnsafeExpression(str(expression)[:200], "too long")
    tree = ast.parse(expression.strip(), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise UnsafeExpression(expression, f"{type(node).__name__} is not allowed")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise UnsafeExpression(expression, f"name {node.id}")
        if isinstance(node, ast.Attribute):
            if node.attr not in _SAFE_METHODS:
                raise UnsafeExpression(expression, f"attribute .{node.attr}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in _SAFE_FUNCTIONS:
                    raise UnsafeExpression(expression, f"function {func.id}()")
            elif not (isinstance(func, ast.Attribute) and func.attr in _SAFE_METHODS):
                raise UnsafeExpression(expression, "call")
            if any(isinstance(k, ast.keyword) and k.arg is None for k in node.keywords):
                raise UnsafeExpression(expression, "**keywords")
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, type(Ellipsis))):
            raise UnsafeExpression(expression, "constant")
    return tree


_compiled: dict[str, Any] = {}
_compiled_lock = threading.Lock()


def evaluate(expression: str, data: dict, extra: dict | None = None) -> Any:
    """Evaluate a checked expression over the instance's data (no builtins but the safe functions)."""
    code = _compiled.get(expression)
    if code is None:
        code = compile(check(expression), "<definition>", "eval")
        with _compiled_lock:
            if len(_compiled) > 5000:  # a few hundred expressions across every definition in practice
                _compiled.clear()
            _compiled[expression] = code
    scope: dict[str, Any] = {"__builtins__": {}}
    scope.update(_SAFE_FUNCTIONS)
    if extra:
        scope.update(extra)
    scope.update({k: v for k, v in data.items() if isinstance(k, str) and not k.startswith("_")})
    return eval(code, scope)  # noqa: S307 - checked above: data, literals and pure operations only


def names(expression: str) -> set[str]:
    """The data names an expression reads (for the validator)."""
    tree = check(expression)
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id not in _SAFE_FUNCTIONS and n.id not in bound and n.id not in _ENGINE_NAMES
            and n.id not in ("True", "False", "None")}


# ---------------------------------------------------------------- Camunda dialects

_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_OUTSIDE_QUOTES = r'(?=(?:[^"\']|"[^"]*"|\'[^\']*\')*$)'


def _outside_quotes(pattern: str, replacement: str, text: str) -> str:
    return re.sub(pattern + _OUTSIDE_QUOTES, replacement, text)


def from_juel(expression: str | None) -> str | None:
    """A Camunda 7 condition (`${amount > 1000 && !approved}`) as Python; plain Python passes unchanged."""
    if expression is None:
        return None
    m = _JUEL.match(expression)
    if m is None:
        return _literals(expression.strip())
    body = m.group(1)
    for juel, python in ((r"&&", " and "), (r"\|\|", " or "), (r"!(?!=)", " not "), (r"\beq\b", "=="),
                         (r"\bne\b", "!="), (r"\blt\b", "<"), (r"\bgt\b", ">"), (r"\ble\b", "<="), (r"\bge\b", ">="),
                         (r"\band\b", " and "), (r"\bor\b", " or "), (r"\bnot\b", " not "),
                         (r"\bempty\s+(\w+)", r"(not \1)")):
        body = _outside_quotes(juel, python, body)
    return _literals(re.sub(r"\s+", " ", body).strip())


def _literals(text: str) -> str:
    for feel, python in ((r"\btrue\b", "True"), (r"\bfalse\b", "False"), (r"\bnull\b", "None")):
        text = _outside_quotes(feel, python, text)
    return text


_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$")


def _split_list(text: str) -> list[str]:
    """Split a FEEL list of tests at the commas outside quotes and brackets."""
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def _one_test(test: str) -> str:
    """One FEEL unary test as a Python condition on `?` (the input)."""
    m = _RANGE.match(test)
    if m:
        opening, low, high, closing = m.groups()
        lo = "<=" if opening == "[" else "<"
        hi = "<=" if closing == "]" else "<"
        return f"({_literals(low)} {lo} ? {hi} {_literals(high)})"
    for op in ("<=", ">=", "<", ">", "!=", "="):
        if test.startswith(op):
            python_op = "==" if op == "=" else op
            return f"(? {python_op} {_literals(test[len(op):].strip())})"
    return f"(? == {_literals(test)})"


def from_feel_unary_test(text: str | None) -> str | None:
    """A DMN input entry as SpiffWorkflow evaluates it: None (any value), or Python on the input (`?`, which
    SpiffWorkflow binds to the input's value). `-` and blank mean any value."""
    if text is None:
        return None
    text = text.strip()
    if text in ("", "-"):
        return None
    negate = False
    m = re.match(r"^not\s*\((.*)\)$", text, re.S)
    if m:
        negate, text = True, m.group(1).strip()
    tests = [t for t in _split_list(text) if t]
    if not tests:
        return None
    if len(tests) == 1 and not negate and not _RANGE.match(tests[0]) and not tests[0].startswith(
            ("<", ">", "=", "!")):
        return _literals(tests[0])  # a single value: SpiffWorkflow compares it with ==
    combined = " or ".join(_one_test(t) for t in tests)
    return f"not ({combined})" if negate else combined
