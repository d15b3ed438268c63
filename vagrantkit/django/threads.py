"""Threads that use Django's ORM and leave their database connection open.

Django opens one connection per thread, on first use, and closes it for request threads only (the
``request_finished`` signal). A thread the project starts itself keeps its connection until the
thread object and its thread-local storage are garbage collected, which may be never: in tests
PostgreSQL then refuses to drop the test database ("is being accessed by other users"), in
production the connections pile up until ``max_connections``. The fix is
``django.db.connections.close_all()`` in a ``finally`` at the end of the thread's work.

The project is parsed with :mod:`ast`, never imported or run. Found:

* ``threading.Thread`` subclasses (also through aliases and project base classes) and their ``run``;
* ``Thread(target=...)`` and ``Timer(interval, function)`` calls, ``submit``/``map`` on a
  ``ThreadPoolExecutor``, ``asyncio.to_thread(f)`` and ``loop.run_in_executor(pool, f)``, where the function run is one of the project, a method (``self.work``), a
  lambda, or ``functools.partial(function, ...)``;
* ORM use in them, directly or through the functions they call (same module, or project modules they
  import): a model manager (``Book.objects``), ``.save()``/``.delete()``/``.refresh_from_db()``,
  ``django.db.connection``/``connections``/``transaction``;
* the correct forms: a closer (``connections.close_all()``, ``connection.close()``) in a ``finally``
  around the ORM work, a ``with`` context manager or a decorator of the project that closes in a
  ``finally``, or a Thread subclass whose ``run`` closes around ``super().run()``.
"""

from __future__ import annotations

import ast
import enum
import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vagrantkit.cycles import no_cycle_collection
from vagrantkit.django.files import project_files, relative

FIX = "django.db.connections.close_all()"

_THREAD = "threading.Thread"
_TIMER = "threading.Timer"
_THREAD_BASES = frozenset({_THREAD, _TIMER})
_POOL = "concurrent.futures.ThreadPoolExecutor"
_POOLS = frozenset(
    {
        _POOL,
        "concurrent.futures.thread.ThreadPoolExecutor",
        "multiprocessing.pool.ThreadPool",
        "multiprocessing.dummy.Pool",
    }
)
# The methods that run a function in one of the pool's threads (concurrent.futures, multiprocessing.pool).
_POOL_METHODS = frozenset(
    {"submit", "map", "apply", "apply_async", "map_async", "imap", "imap_unordered", "starmap", "starmap_async"}
)
_EXECUTOR = "asyncio executor"  # asyncio.to_thread(f), loop.run_in_executor(pool, f): a pool thread runs f
_PARTIALS = frozenset({"functools.partial", "functools.partialmethod"})
_SYNC_TO_ASYNC = frozenset(
    {"asgiref.sync.sync_to_async", "asgiref.sync.SyncToAsync", "channels.db.database_sync_to_async"}
)
# Other ORMs and ODMs: their save()/delete() on an object of unknown type is not Django's.
_OTHER_ORMS = ("peewee", "mongoengine", "sqlalchemy", "pony", "tortoise", "odmantic", "beanie", "mongoengine")
_ORM_ROOTS = ("django.db.connection", "django.db.connections", "django.db.transaction")
_STRONG_CLOSERS = frozenset(
    {"django.db.connections.close_all", "django.db.connection.close", "django.db.connections[].close"}
)
# close_old_connections() closes only connections that are broken or older than CONN_MAX_AGE:
# with the default CONN_MAX_AGE=0 that is every connection, with persistent connections none.
_WEAK_CLOSERS = frozenset({"django.db.close_old_connections"})
_INSTANCE_METHODS = frozenset({"save", "delete", "refresh_from_db"})
_MODEL_BASES = frozenset(
    {
        "django.db.models.Model",
        "django.db.models.base.Model",
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
    }
)
_DEFAULT_MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
# Method names too common to guess a class from (many classes, and libraries, define them).
_COMMON_METHODS = frozenset(
    [
        "save",
        "delete",
        "get",
        "run",
        "start",
        "send",
        "update",
        "close",
        "open",
        "read",
        "write",
        "create",
        "filter",
        "all",
        "first",
        "last",
        "count",
        "process",
        "handle",
        "execute",
        "call",
        "apply",
        "submit",
        "join",
        "stop",
        "wait",
        "put",
        "pop",
        "append",
        "extend",
        "clear",
        "copy",
        "items",
        "keys",
        "values",
        "get_queryset",
        "to_dict",
        "from_dict",
    ]
)
# Attributes of a model class that are not managers (looked at often, never queries).
_NOT_MANAGERS = frozenset({"DoesNotExist", "MultipleObjectsReturned", "_meta", "__name__", "pk"})


class ThreadKind(str, enum.Enum):
    """How the project runs code in a thread."""

    SUBCLASS = "subclass"  # a threading.Thread subclass's run()
    TARGET = "target"  # Thread(target=f) or Timer(interval, f)
    POOL = "pool"  # pool.submit(f), pool.map(f, ...), asyncio.to_thread(f), loop.run_in_executor(pool, f)


class Closing(str, enum.Enum):
    """What a thread does with the database connections it opened."""

    NOT_NEEDED = "not-needed"  # it never touches the ORM
    FINALLY = "finally"  # closed on every exit path
    OBSOLETE_ONLY = "obsolete-only"  # close_old_connections(): only when CONN_MAX_AGE has expired
    HAPPY_PATH = "happy-path"  # closed, but an exception or an early return skips the close
    NEVER = "never"


@dataclass(frozen=True)
class OrmUse:
    """Where a thread first touches the ORM.

    Attributes:
        path: File, relative to the project, with forward slashes.
        line: 1-based line of the use.
        what: The use as written (``Book.objects``, ``book.save()``, ``connection``).
        via: Functions called from the thread's entry down to the one with the use.
    """

    path: str
    line: int
    what: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThreadEntry:
    """One piece of code the project runs in a thread of its own.

    Attributes:
        path: File of the thread's start (the ``Thread(...)`` call, or the subclass's ``run``).
        line: Its 1-based line.
        kind: Subclass ``run`` or ``Thread(target=...)``.
        name: ``Worker.run``, ``count_books``, ``<lambda>``.
        orm: The first ORM use reached from it, if any.
        closing: What it does with its connections.
        function: The function it runs, when ``name`` shows more: ``work`` for ``partial(work, 1)``.
        runs_lambda: What it runs is a lambda (``lambda: work(1)``, ``partial(lambda pk: ..., 1)``).
    """

    path: str
    line: int
    kind: ThreadKind
    name: str
    orm: OrmUse | None
    closing: Closing
    function: str | None = None
    runs_lambda: bool = False

    @property
    def leaks(self) -> bool:
        """True when it uses the ORM and some exit path leaves the connection open."""
        return self.orm is not None and self.closing in (Closing.NEVER, Closing.HAPPY_PATH)


@dataclass(frozen=True)
class ThreadScan:
    """Everything found about threads in a project.

    Attributes:
        files: How many Python files were parsed.
        starts: Every place that starts or defines a thread (``path:line``), analysable or not.
        threads: The threads whose code was found and analysed.
        unparsable: Files that are not valid Python here, with the parser's message.
    """

    files: int
    starts: tuple[str, ...]
    threads: tuple[ThreadEntry, ...]
    unparsable: tuple[tuple[str, str], ...] = ()

    @property
    def leaks(self) -> tuple[ThreadEntry, ...]:
        return tuple(t for t in self.threads if t.leaks)


# --- the project index ------------------------------------------------------------------

_FuncNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
# try/except* (3.11) and match (3.10) do not exist on older Pythons.
_TRY = (ast.Try, ast.TryStar) if sys.version_info >= (3, 11) else (ast.Try,)


@dataclass(eq=False)
class _Module:
    path: Path
    rel: str
    dotted: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    all_classes: list[ast.ClassDef] = field(default_factory=list)


@dataclass(eq=False)
class _Func:
    """A function with the scope it was written in: what names inside it can mean."""

    node: _FuncNode
    module: _Module
    cls: ast.ClassDef | None
    parent: _Func | None

    @property
    def name(self) -> str:
        if isinstance(self.node, ast.Lambda):
            return "<lambda>"
        return f"{self.cls.name}.{self.node.name}" if self.cls else self.node.name

    @functools.cached_property
    def locals(self) -> frozenset[str]:
        """Its parameters and the names its own code assigns: they hide the module's imports."""
        args = self.node.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        names = {p.arg for p in params if p is not None}
        if not isinstance(self.node, ast.Lambda):
            for stmt in self.node.body:
                names.update(
                    sub.id for sub in _own_nodes(stmt) if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)
                )
        return frozenset(names)


def _dotted_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _read_import(module: _Module, node: ast.Import | ast.ImportFrom) -> None:
    package = module.dotted if module.path.name == "__init__.py" else module.dotted.rpartition(".")[0]
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                module.imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                module.imports[top] = top
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            anchor = package.split(".") if package else []
            anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
            base = ".".join([*anchor, *([base] if base else [])])
        for alias in node.names:
            if alias.name != "*":
                module.imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


class _Project:
    """The project's modules, parsed when first asked for, and the questions asked across them.

    A module is parsed when a thread may start in it (its text names a thread API) or when the
    analysis follows a call, a class or a model into it: on Django's own tree that is a few dozen
    files of thousands, and a file that cannot be parsed is "not checked" without stopping the rest.
    """

    def __init__(self, files: list[tuple[Path, str, str]]) -> None:
        self._files = {dotted: (path, rel) for path, rel, dotted in files}
        self.modules: dict[str, _Module] = {}
        self.broken: dict[str, str] = {}  # rel -> why it was not checked
        self._by_suffix: dict[str, list[str]] = {}
        for dotted in self._files:
            parts = dotted.split(".")
            for i in range(1, len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), []).append(dotted)
        self._sources: dict[str, bytes] = {}
        self.funcs: dict[int, _Func] = {}
        self._thread_classes: dict[int, bool] = {}
        self._model_classes: dict[int, bool] = {}

    @property
    def dotted_names(self) -> list[str]:
        return list(self._files)

    def source(self, dotted: str) -> bytes:
        """The module's bytes (read once; empty when unreadable)."""
        if dotted not in self._sources:
            path, rel = self._files[dotted]
            try:
                self._sources[dotted] = path.read_bytes()
            except OSError as exc:
                self._sources[dotted] = b""
                self.broken[rel] = exc.strerror or str(exc)
        return self._sources[dotted]

    def load(self, dotted: str) -> _Module | None:
        """The module ``dotted`` parsed and indexed; None when it cannot be (then listed as not checked)."""
        if dotted in self.modules:
            return self.modules[dotted]
        path, rel = self._files[dotted]
        if rel in self.broken:
            return None
        try:
            tree = ast.parse(self.source(dotted), filename=str(path))
            module = _Module(path, rel, dotted, tree)
            self._index(module, tree.body, None, None)
        except SyntaxError as exc:
            self.broken[rel] = f"line {exc.lineno}: {exc.msg}" if exc.lineno else str(exc.msg)
            return None
        except (ValueError, RecursionError, MemoryError) as exc:
            # RecursionError: an expression nested too deep for Python's own parser (generated code).
            self.broken[rel] = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return None
        self.modules[dotted] = module
        return module

    def _index(self, module: _Module, body: list[ast.stmt], cls: ast.ClassDef | None, parent: _Func | None) -> None:
        for stmt in body:
            for node in _own_nodes(stmt):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    _read_import(module, node)
                elif isinstance(node, ast.ClassDef):
                    module.all_classes.append(node)
                    if parent is None and cls is None:
                        module.classes[node.name] = node
                    self._index(module, node.body, node, parent)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                    func = _Func(node, module, cls, parent)
                    self.funcs[id(node)] = func
                    if parent is None and cls is None and not isinstance(node, ast.Lambda):
                        module.functions[node.name] = node
                    if isinstance(node, ast.Lambda):
                        self._index(module, [ast.Expr(node.body)], None, func)
                    else:
                        self._index(module, node.body, None, func)

    # -- names --

    def module(self, dotted: str) -> _Module | None:
        """The project module ``dotted``; also found by suffix when the project root is above the Django root."""
        if dotted not in self._files:
            matches = self._by_suffix.get(dotted, [])
            if len(matches) != 1:
                return None
            dotted = matches[0]
        return self.load(dotted)

    def qualify(self, module: _Module, expr: ast.expr) -> str | None:
        """The dotted name an expression refers to (imports resolved), or None."""
        if isinstance(expr, ast.Name):
            if expr.id in module.imports:
                return module.imports[expr.id]
            if expr.id in module.functions or expr.id in module.classes:
                return f"{module.dotted}.{expr.id}"
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualify(module, expr.value)
            return f"{base}.{expr.attr}" if base else None
        if isinstance(expr, ast.Subscript):
            base = self.qualify(module, expr.value)
            return f"{base}[]" if base else None
        return None

    def lookup(self, dotted: str) -> tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] | None:
        """A project-level function or class by dotted name (``shop.tasks.sync``)."""
        module_name, _, name = dotted.rpartition(".")
        module = self.module(module_name) if module_name else None
        if module is None:
            return None
        node = module.functions.get(name) or module.classes.get(name)
        if node is None and name in module.imports and module.imports[name] != dotted:
            return self.lookup(module.imports[name])  # re-exported
        return (module, node) if node is not None else None

    def resolve_class(self, module: _Module, expr: ast.expr) -> tuple[_Module, ast.ClassDef] | None:
        dotted = self.qualify(module, expr)
        found = self.lookup(dotted) if dotted else None
        if found and isinstance(found[1], ast.ClassDef):
            return found[0], found[1]
        return None

    # -- classes --

    def is_thread_class(self, module: _Module, cls: ast.ClassDef) -> bool:
        """A subclass of threading.Thread, directly or through project classes."""
        return self._inherits(_THREAD_BASES, self._thread_classes, module, cls)

    @functools.cached_property
    def _max_age(self) -> str:
        values: list[object] = []
        for dotted in self.dotted_names:
            if b"CONN_MAX_AGE" not in self.source(dotted) or (module := self.load(dotted)) is None:
                continue
            for node in ast.walk(module.tree):
                if isinstance(node, ast.Dict):
                    for k, v in zip(node.keys, node.values):
                        if isinstance(k, ast.Constant) and k.value == "CONN_MAX_AGE":
                            values.append(v.value if isinstance(v, ast.Constant) else ...)
                elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "CONN_MAX_AGE" for t in node.targets
                ):
                    values.append(node.value.value if isinstance(node.value, ast.Constant) else ...)
        if any(v is ... for v in values):
            return "unknown"
        return "persistent" if any(v is None or (isinstance(v, (int, float)) and v > 0) for v in values) else "closes"

    def conn_max_age(self) -> str:
        """``closes`` when every ``CONN_MAX_AGE`` of the project is the literal 0 (or none is set: Django's
        default), ``persistent`` when one keeps connections (a number above 0, None), else ``unknown``."""
        return self._max_age

    def unique_method(self, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The method ``name`` when exactly one class of the parsed modules defines it and the name is
        distinctive (``mark_as_done``, not ``save`` or ``run``): what an untyped parameter most likely is."""
        if name in _COMMON_METHODS or ("_" not in name.strip("_") and len(name) < 10) or name.startswith("__"):
            return None
        found = [
            stmt
            for module in list(self.modules.values())
            for cls in module.all_classes
            for stmt in cls.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name
        ]
        return found[0] if len(found) == 1 else None

    def inherits_from(self, bases: frozenset[str], module: _Module, cls: ast.ClassDef) -> bool:
        """Does ``cls`` derive from one of ``bases`` (dotted names), directly or through project classes?"""
        return self._inherits(bases, {}, module, cls)

    def is_model(self, module: _Module, cls: ast.ClassDef) -> bool:
        """A Django model, directly or through project classes (abstract models and mixins too)."""
        return self._inherits(_MODEL_BASES, self._model_classes, module, cls)

    def _inherits(self, bases: frozenset[str], memo: dict[int, bool], module: _Module, cls: ast.ClassDef) -> bool:
        """Does ``cls`` derive from one of ``bases``, directly or through project classes?"""
        key = id(cls)
        if key not in memo:
            memo[key] = False  # cycle guard
            memo[key] = any(
                self.qualify(module, base) in bases
                or ((found := self.resolve_class(module, base)) is not None and self._inherits(bases, memo, *found))
                for base in cls.bases
            )
        return memo[key]

    def is_manager(self, module: _Module, model: ast.expr, attr: str) -> bool:
        """``Model.attr`` is a manager: a default one, or one the model class (or a base) defines."""
        if not self.is_model_expr(module, model):
            return False
        if attr in _DEFAULT_MANAGERS:
            return True
        found = self.resolve_class(module, model)
        seen: set[int] = set()
        while found is not None and id(found[1]) not in seen:
            seen.add(id(found[1]))
            if attr in self._custom_managers(*found):
                return True
            bases = [b for b in (self.resolve_class(found[0], base) for base in found[1].bases) if b is not None]
            found = bases[0] if bases else None
        return False

    def _custom_managers(self, module: _Module, cls: ast.ClassDef) -> Iterator[str]:
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                func = stmt.value.func
                called = self.qualify(module, func) or ast.unparse(func)
                if called.endswith("Manager") or called.endswith(".as_manager") or "from_queryset" in called:
                    yield from (t.id for t in stmt.targets if isinstance(t, ast.Name))

    def is_model_expr(self, module: _Module, expr: ast.expr) -> bool:
        """Does ``expr`` name a model class (``Book``, ``models.Book``, ``get_user_model()``)?"""
        if isinstance(expr, ast.Call):
            called = self.qualify(module, expr.func) or ""
            return called.endswith("get_user_model") or (
                isinstance(expr.func, ast.Attribute) and expr.func.attr == "get_model"
            )
        found = self.resolve_class(module, expr)
        if found:
            return self.is_model(*found)
        dotted = self.qualify(module, expr)
        if dotted is None or self.module(dotted.rpartition(".")[0]) is not None:
            return False  # unknown name, or a project module's non-class
        # Imported from outside the project: a model when it comes from a `models` module.
        return "models" in dotted.split(".")[:-1]


def _own_nodes(stmt: ast.AST) -> Iterator[ast.AST]:
    """Nodes of ``stmt`` that run with it: nested function and class bodies are yielded, not entered."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            # Decorators, defaults and bases run where the definition is; the body runs later.
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                todo.extend(node.decorator_list)
                todo.extend(node.args.defaults)
            elif isinstance(node, ast.ClassDef):
                todo.extend(node.decorator_list)
                todo.extend(node.bases)
            continue
        todo.extend(reversed(list(ast.iter_child_nodes(node))))


# --- the analysis of one function -------------------------------------------------------


@dataclass(frozen=True)
class _Result:
    orm: OrmUse | None
    closing: Closing


class _Analyzer:
    def __init__(self, project: _Project) -> None:
        self.project = project
        self._memo: dict[int, _Result] = {}

    # -- what a function means --

    def analyze(self, func: _Func) -> _Result:
        """The first ORM use reachable from ``func`` and whether ``func`` closes what it opened."""
        key = id(func.node)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = _Result(None, Closing.NOT_NEEDED)  # recursion: assume clean
        node = func.node
        body: list[ast.stmt] = [ast.Expr(node.body)] if isinstance(node, ast.Lambda) else node.body
        state = _BlockState()
        if not isinstance(node, ast.Lambda):
            for deco in node.decorator_list:
                dotted = self.project.qualify(func.module, deco.func if isinstance(deco, ast.Call) else deco) or ""
                if dotted.startswith("django.db.transaction"):
                    state.use(self._use(func, deco, ast.unparse(deco)), covered=None)
        self._scan_block(func, body, state, covered=None)
        result = state.result()
        if result.orm is not None and self._uses_a_shared_connection(func, body):
            result = _Result(None, Closing.NOT_NEEDED)  # the connection is the caller's, not its own
        if result.orm is not None and result.closing is not Closing.FINALLY and not isinstance(node, ast.Lambda):
            for deco in node.decorator_list:
                closing = self.closing_callable(func, deco.func if isinstance(deco, ast.Call) else deco)
                if closing is not None:
                    result = _Result(result.orm, closing)
                    break
        self._memo[key] = result
        return result

    def _scan_block(self, func: _Func, body: list[ast.stmt], state: _BlockState, covered: Closing | None) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue  # defined here, run later (if at all)
            if isinstance(stmt, _TRY):
                closer = self.closer_in(func, stmt.finalbody)
                inner = _stronger(covered, closer)
                self._scan_block(func, stmt.body, state, inner)
                for handler in stmt.handlers:
                    self._scan_block(func, handler.body, state, inner)
                self._scan_block(func, stmt.orelse, state, inner)
                self._scan_block(func, stmt.finalbody, state, covered)
                continue
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                inner = covered
                for item in stmt.items:
                    self._scan_expr(func, item.context_expr, state, covered)
                    expr = item.context_expr
                    closing = self.closing_callable(func, expr.func if isinstance(expr, ast.Call) else expr)
                    inner = _stronger(inner, closing)
                self._scan_block(func, stmt.body, state, inner)
                if inner is not covered and state.first_uncovered is not None:
                    state.closed_on_happy_path = True  # the context manager closes on the way out
                continue
            if isinstance(stmt, (ast.If, ast.While)):
                self._scan_expr(func, stmt.test, state, covered)
                inner = covered
                if isinstance(stmt, ast.While) and _endless(stmt) and stmt.body:
                    # `while True: close_old_connections(); work()`: each round closes the last one's
                    # connection, and the loop never ends with one left behind.
                    first = [n for n in _own_nodes(stmt.body[0]) if isinstance(n, ast.Call)]
                    inner = _stronger(covered, next((k for n in first if (k := self._closer_kind(func, n))), None))
                self._scan_block(func, stmt.body, state, inner)
                self._scan_block(func, stmt.orelse, state, covered)
                continue
            if isinstance(stmt, (ast.For, ast.AsyncFor)):
                if self._closes_in_loop(func, stmt):
                    if state.first_uncovered is not None:
                        state.closed_on_happy_path = True
                    continue
                self._scan_expr(func, stmt.iter, state, covered)
                self._scan_block(func, stmt.body, state, covered)
                self._scan_block(func, stmt.orelse, state, covered)
                continue
            if sys.version_info >= (3, 10) and isinstance(stmt, ast.Match):
                self._scan_expr(func, stmt.subject, state, covered)
                for case in stmt.cases:
                    self._scan_block(func, case.body, state, covered)
                continue
            self._scan_expr(func, stmt, state, covered)

    def _scan_expr(self, func: _Func, tree: ast.AST, state: _BlockState, covered: Closing | None) -> None:
        project, module = self.project, func.module
        closer_parts: set[int] = set()
        for node in _own_nodes(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)) and node is not tree:
                continue
            if id(node) in closer_parts:
                continue
            if isinstance(node, (ast.Attribute, ast.Subscript)) and not isinstance(node.ctx, ast.Load):
                closer_parts.update(id(n) for n in ast.walk(node.value))  # `connections[alias] = conn` opens nothing
                continue
            if isinstance(node, ast.Call):
                kind = self._closer_kind(func, node)
                if kind is not None:
                    closer_parts.update(id(n) for n in ast.walk(node.func))
                    if state.first_uncovered is not None:
                        state.closed_on_happy_path = True
                    continue
                callee = self.resolve_call(func, node.func)
                if callee is not None:
                    sub = self.analyze(callee)
                    if sub.orm is not None:
                        orm = OrmUse(sub.orm.path, sub.orm.line, sub.orm.what, (callee.name, *sub.orm.via))
                        inner = covered
                        if sub.closing in (Closing.FINALLY, Closing.OBSOLETE_ONLY):
                            inner = _stronger(covered, sub.closing)
                        state.use(orm, inner)
                    continue
                if self._instance_orm_call(func, node):
                    state.use(self._use(func, node, ast.unparse(node)), covered)
                    continue
            elif (
                isinstance(node, ast.Attribute)
                and node.attr not in _NOT_MANAGERS
                and project.is_manager(module, node.value, node.attr)
            ) or (
                isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))
                and isinstance(node.ctx, ast.Load)
                and _is_orm_name(project.qualify(module, node))
                and not _shadowed(func, _root_name(node))
            ):
                closer_parts.update(id(n) for n in ast.walk(node))
                state.use(self._use(func, node, ast.unparse(node)), covered)

    def _uses_a_shared_connection(self, func: _Func, body: list[ast.stmt]) -> bool:
        """``connections["default"] = main_thread_connection``: the thread works on a connection handed
        to it (Django's own thread-sharing tests), which it neither opens nor must close."""
        for stmt in body:
            for node in _own_nodes(stmt):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if (
                            isinstance(target, ast.Subscript)
                            and self.project.qualify(func.module, target.value) == "django.db.connections"
                        ):
                            return True
        return False

    def _use(self, func: _Func, node: ast.AST, what: str) -> OrmUse:
        return OrmUse(func.module.rel, getattr(node, "lineno", 0), what)

    # -- closers --

    def _closer_kind(self, func: _Func, call: ast.Call) -> Closing | None:
        dotted = self.project.qualify(func.module, call.func)
        if dotted in _STRONG_CLOSERS:
            kind = Closing.FINALLY
        elif dotted in _WEAK_CLOSERS:
            # close_old_connections() closes what is older than CONN_MAX_AGE: every connection with 0
            # (Django's default), none that is persistent; unknown when the settings compute it.
            max_age = self.project.conn_max_age()
            if max_age == "persistent":
                return None
            kind = Closing.FINALLY if max_age == "closes" else Closing.OBSOLETE_ONLY
        else:
            return None
        return None if _shadowed(func, _root_name(call.func)) else kind

    def _closes_in_loop(self, func: _Func, loop: ast.For | ast.AsyncFor) -> bool:
        """``for conn in connections.all(): conn.close()``."""
        iterated = self.project.qualify(func.module, loop.iter.func if isinstance(loop.iter, ast.Call) else loop.iter)
        if iterated not in ("django.db.connections.all", "django.db.connections"):
            return False
        return any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "close"
            for n in ast.walk(loop)
        )

    def closer_in(self, func: _Func, body: list[ast.stmt], depth: int = 0) -> Closing | None:
        """The strongest closer a block always runs (a ``finally`` body): a closer call, a loop over
        ``connections.all()`` closing each, or a project function that does so (``self._close_db()``).

        Under an ``if`` it counts only when the condition asks whether the connection is open
        (``if connection.connection is not None``: closing when open is closing); any other
        condition may skip it.
        """
        found: Closing | None = None
        for stmt in body:
            if isinstance(stmt, ast.If):
                if self._asks_if_open(func, stmt.test):
                    found = _stronger(found, self.closer_in(func, stmt.body, depth))
                continue
            if isinstance(stmt, _TRY):
                found = _stronger(found, self.closer_in(func, stmt.finalbody, depth))
                found = _stronger(found, self.closer_in(func, stmt.body, depth))
                continue
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                found = _stronger(found, self.closer_in(func, stmt.body, depth))
                continue
            if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
                if isinstance(stmt, (ast.For, ast.AsyncFor)) and self._closes_in_loop(func, stmt):
                    found = Closing.FINALLY
                continue
            for node in _own_nodes(stmt):
                if isinstance(node, ast.Call):
                    kind = self._closer_kind(func, node)
                    if kind is None and depth < 3:
                        helper = self.resolve_call(func, node.func)
                        if helper is not None and not isinstance(helper.node, ast.Lambda):
                            kind = self.closer_in(helper, helper.node.body, depth + 1)
                    found = _stronger(found, kind)
        return found

    def _asks_if_open(self, func: _Func, test: ast.expr) -> bool:
        """``connection.connection is not None``, ``conn.connection``, ``connection.is_usable()``: about the
        connection being open, so the close under it happens whenever there is something to close."""
        text = ast.unparse(test)
        return bool(re.fullmatch(r"[\w.\[\]'\"]*\.(connection( is not None)?|is_usable\(\))", text))

    def closing_callable(self, func: _Func, expr: ast.expr) -> Closing | None:
        """Does this decorator or context manager close connections in a ``finally``?

        A project function (a decorator's wrapper, a ``@contextmanager`` generator) that calls a
        closer inside a ``finally``; or a project class whose ``__exit__`` calls one.
        """
        target = self.resolve_call(func, expr)
        if target is not None and not isinstance(target.node, ast.Lambda):
            found: Closing | None = None
            for node in ast.walk(target.node):
                if isinstance(node, _TRY):
                    found = _stronger(found, self.closer_in(target, node.finalbody))
            return found
        cls = self.project.resolve_class(func.module, expr)
        if cls is not None:
            for stmt in cls[1].body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name in ("__exit__", "__aexit__"):
                    return self.closer_in(self.project.funcs[id(stmt)], stmt.body)
        return None

    # -- calls --

    def resolve_call(self, func: _Func, expr: ast.expr) -> _Func | None:
        """The project function a call or a reference (``f``, ``self.m``, ``mod.f``) runs, if known."""
        project = self.project
        if isinstance(expr, ast.Name):
            for scope in _scopes(func):
                # Python binds a name to its last definition: the last `def` of that name wins.
                defs = [
                    stmt
                    for stmt in scope.body
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == expr.id
                ]
                if defs:
                    return project.funcs.get(id(defs[-1]))
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
            owner = _owner_class(func)
            if owner is not None:
                method = self.find_method(func.module, owner, expr.attr)
                if method is not None and _abstract(method):
                    method = self._override(func.module, owner, expr.attr) or method
                if method is not None:
                    return project.funcs.get(id(method))
                if expr.value.id == "cls":
                    return None
        if isinstance(expr, ast.Attribute):
            # A method through an instance (`repo.count()`, `Repo().count()`, `self.repo.sync()`) or
            # through its class (`SIP.get_or_create_from_db_by_path(...)`, a classmethod).
            found_cls = self.class_of(func, expr.value, 0) or project.resolve_class(func.module, expr.value)
            if found_cls is not None:
                method = self.find_method(*found_cls, expr.attr)
                if method is not None:
                    return project.funcs.get(id(method))
            elif isinstance(expr.value, ast.Name) and _shadowed(func, expr.value.id):
                method = project.unique_method(expr.attr)  # `package.mark_as_done()`, package a parameter
                if method is not None:
                    return project.funcs.get(id(method))
        dotted = project.qualify(func.module, expr)
        found = project.lookup(dotted) if dotted else None
        if found and isinstance(found[1], (ast.FunctionDef, ast.AsyncFunctionDef)):
            return project.funcs.get(id(found[1]))
        return None

    def class_of(self, func: _Func, expr: ast.expr, depth: int) -> tuple[_Module, ast.ClassDef] | None:
        """The project class of the object ``expr`` holds, when the code says it: ``Cls(...)``, a name
        bound to that (in the function or at module level), ``self.attr`` set so in the class, a
        parameter annotated with the class, a signal receiver's ``instance`` of ``sender=Model``."""
        project, module = self.project, func.module
        if depth > 4:
            return None
        if isinstance(expr, ast.Call):
            return project.resolve_class(module, expr.func)
        if isinstance(expr, ast.Name):
            if _shadowed(func, expr.id):
                bound = _binding(func, expr.id)
                if bound is not None:
                    return self.class_of(func, bound, depth + 1)
                return self._parameter_class(func, expr.id)
            value = _module_binding(module, expr.id)
            if value is not None:
                return self.class_of(_module_func(project, module), value, depth + 1)
            dotted = project.qualify(module, expr)
            if dotted is not None and "." in dotted:
                home, _, name = dotted.rpartition(".")
                other = project.module(home)
                value = _module_binding(other, name) if other is not None else None
                if other is not None and value is not None:
                    return self.class_of(_module_func(project, other), value, depth + 1)
            return None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            owner = _owner_class(func)
            if owner is None:
                return None
            for value in _self_assignments(owner, expr.attr):
                if isinstance(value, ast.Call):
                    return project.resolve_class(module, value.func)
        return None

    def _override(self, module: _Module, cls: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """For an abstract ``cls.name``: a subclass's own ``name`` (the first found, in source order)."""
        project = self.project
        for other in list(project.modules.values()):
            for klass in other.all_classes:
                if klass is cls or not any(
                    (base := project.resolve_class(other, b)) is not None and base[1] is cls for b in klass.bases
                ):
                    continue
                for stmt in klass.body:
                    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                        return stmt
        return None

    def _parameter_class(self, func: _Func, name: str) -> tuple[_Module, ast.ClassDef] | None:
        node = func.node
        if isinstance(node, ast.Lambda):
            return None
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if arg.arg == name and arg.annotation is not None:
                return self.project.resolve_class(func.module, arg.annotation)
        if name == "instance":
            # @receiver(post_save, sender=Email) def handler(sender, instance, **kwargs)
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call):
                    for kw in deco.keywords:
                        if kw.arg == "sender":
                            return self.project.resolve_class(func.module, kw.value)
        return None

    def find_method(
        self, module: _Module, cls: ast.ClassDef, name: str
    ) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """``cls.name``, looked up through project base classes too."""
        seen: set[int] = set()
        todo = [(module, cls)]
        while todo:
            mod, klass = todo.pop(0)
            if id(klass) in seen:
                continue
            seen.add(id(klass))
            for stmt in klass.body:
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                    return stmt
            todo.extend(found for base in klass.bases if (found := self.project.resolve_class(mod, base)))
        return None

    def _instance_orm_call(self, func: _Func, call: ast.Call) -> bool:
        """``book.save()``, ``obj.delete()``: a model instance method, told apart from look-alikes.

        Django's ``save()``, ``delete()`` and ``refresh_from_db()`` take keyword arguments only, while
        ``image.save(path)``, ``cache.delete(key)`` and ``requests.delete(url)`` take a positional
        one; a receiver that is an imported module or object (``requests``, ``cache``) is not a model.
        """
        target = call.func
        if not isinstance(target, ast.Attribute) or target.attr not in _INSTANCE_METHODS:
            return False
        if call.args:
            return False
        receiver = target.value
        if isinstance(receiver, ast.Constant):
            return False
        if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
            owner = _owner_class(func)
            return owner is not None and self.project.is_model(func.module, owner)
        # Unknown receivers (a parameter, self.book) count: keyword-only save()/delete() is Django's
        # shape; not in a module that uses another ORM (peewee, mongoengine...), whose objects look alike.
        origin = self._origin(func, receiver, 0)
        if origin is None and any(d.startswith(_OTHER_ORMS) for d in func.module.imports.values()):
            return False
        return origin is not False

    def _origin(self, func: _Func, expr: ast.expr, depth: int) -> bool | None:
        """Is ``expr`` a model instance (True), surely not (False: made by a non-ORM import), or unknown?"""
        project, module = self.project, func.module
        if depth > 4:
            return None
        if isinstance(expr, ast.Call):
            if project.is_model_expr(module, expr.func):
                return True  # Book(...)
            for node in ast.walk(expr.func):
                if isinstance(node, ast.Attribute) and project.is_manager(module, node.value, node.attr):
                    return True  # Book.objects.get(...)
            if isinstance(expr.func, ast.Attribute):
                return self._origin(func, expr.func.value, depth + 1)  # s3.Object(...), Image.open(...)
            return self._origin(func, expr.func, depth + 1) if isinstance(expr.func, ast.Name) else None
        if isinstance(expr, ast.Subscript):
            return self._origin(func, expr.value, depth + 1)  # queryset[0]
        if not isinstance(expr, ast.Name):
            return None
        if _shadowed(func, expr.id):
            bound = _binding(func, expr.id)
            return self._origin(func, bound, depth + 1) if bound is not None else None
        if expr.id in module.imports:
            return project.is_model_expr(module, expr)  # requests, cache, Image: not the ORM
        return None


@dataclass
class _BlockState:
    first_uncovered: OrmUse | None = None
    first_any: OrmUse | None = None
    weakest_cover: Closing | None = None
    closed_on_happy_path: bool = False

    def use(self, orm: OrmUse, covered: Closing | None) -> None:
        if self.first_any is None:
            self.first_any = orm
        if covered is None:
            if self.first_uncovered is None:
                self.first_uncovered = orm
        elif self.weakest_cover is None or _rank(covered) < _rank(self.weakest_cover):
            self.weakest_cover = covered

    def result(self) -> _Result:
        if self.first_uncovered is not None:
            return _Result(self.first_uncovered, Closing.HAPPY_PATH if self.closed_on_happy_path else Closing.NEVER)
        if self.first_any is not None:
            return _Result(self.first_any, self.weakest_cover or Closing.FINALLY)
        return _Result(None, Closing.NOT_NEEDED)


def _rank(closing: Closing) -> int:
    return {Closing.FINALLY: 2, Closing.OBSOLETE_ONLY: 1}.get(closing, 0)


def _stronger(a: Closing | None, b: Closing | None) -> Closing | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _rank(a) >= _rank(b) else b


# What opens a connection (or uses the one open): a cursor, a transaction, the connection's own
# calls. Naming `connection` is not database use: `if connection.connection is not None:
# connection.close()` in a finally is the close, and `connections["x"]`, `connections.all()` open nothing.
_OPENING = frozenset(
    [
        "cursor",
        "chunked_cursor",
        "ensure_connection",
        "connect",
        "get_autocommit",
        "set_autocommit",
        "commit",
        "rollback",
        "savepoint",
        "savepoint_commit",
        "savepoint_rollback",
        "introspection",
        "schema_editor",
        "atomic",
        "mark_for_rollback_on_error",
        "on_commit",
        "execute",
    ]
)


def _is_orm_name(dotted: str | None) -> bool:
    """``connection.cursor``, ``connections["x"].cursor``, ``transaction.atomic``: a use of the database."""
    if dotted is None:
        return False
    for root in _ORM_ROOTS:
        if dotted.startswith((root + ".", root + "[].")):
            rest = dotted[len(root) :].removeprefix("[]").lstrip(".").split(".")
            return bool(rest) and rest[0] in _OPENING
    return False


def _root_name(expr: ast.expr) -> str | None:
    while isinstance(expr, (ast.Attribute, ast.Subscript, ast.Call)):
        expr = expr.func if isinstance(expr, ast.Call) else expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _shadowed(func: _Func, name: str | None) -> bool:
    """Is ``name`` a parameter or local variable of ``func`` (so not the module's import)?"""
    return name in func.locals


def _binding(func: _Func, name: str) -> ast.expr | None:
    """What a local name is first bound to in ``func``: ``x = value``, ``for x in value``, ``with value as x``."""
    node = func.node
    if isinstance(node, ast.Lambda):
        return None
    for stmt in node.body:
        for sub in _own_nodes(stmt):
            if isinstance(sub, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in sub.targets):
                return sub.value
            if isinstance(sub, (ast.For, ast.AsyncFor)) and isinstance(sub.target, ast.Name) and sub.target.id == name:
                return sub.iter
            if (
                isinstance(sub, ast.withitem)
                and isinstance(sub.optional_vars, ast.Name)
                and sub.optional_vars.id == name
            ):
                return sub.context_expr
    return None


_POOL_NAME = re.compile(r"(^|_)(executor|pool)$", re.IGNORECASE)


def _self_assignments(klass: ast.ClassDef, attr: str) -> list[ast.expr]:
    """The values ``self.<attr> = value`` assigns anywhere in the class's methods."""
    return [
        node.value
        for node in ast.walk(klass)
        if isinstance(node, ast.Assign)
        and any(
            isinstance(t, ast.Attribute) and t.attr == attr and isinstance(t.value, ast.Name) and t.value.id == "self"
            for t in node.targets
        )
    ]


def _endless(loop: ast.While) -> bool:
    """``while True`` / ``while 1``: a worker loop that ends only with the process."""
    return isinstance(loop.test, ast.Constant) and bool(loop.test.value)


def _abstract(method: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``@abstractmethod``, or a body that only raises NotImplementedError."""
    if any("abstractmethod" in ast.unparse(d) for d in method.decorator_list):
        return True
    body = [s for s in method.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])


def _is_parameter(func: _Func, name: str) -> bool:
    args = func.node.args
    return name in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _module_binding(module: _Module, name: str) -> ast.expr | None:
    """What a module-level name was last assigned (``log_queue = AsyncNotificationQueue()``)."""
    found = None
    for stmt in module.tree.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            found = stmt.value
    return found


def _module_func(project: _Project, module: _Module) -> _Func:
    """A stand-in function at a module's top level, to ask about names there."""
    return _Func(ast.Lambda(args=_NO_ARGS, body=ast.Constant(None)), module, None, None)


def _scopes(func: _Func | None) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    """``func`` and the functions around it, innermost first; lambdas (no statements of their own) skipped."""
    while func is not None:
        if not isinstance(func.node, ast.Lambda):
            yield func.node
        func = func.parent


def _owner_class(func: _Func) -> ast.ClassDef | None:
    scope: _Func | None = func
    while scope is not None:
        if scope.cls is not None:
            return scope.cls
        scope = scope.parent
    return None


# --- finding the threads ----------------------------------------------------------------


def _thread_calls(project: _Project, modules: list[_Module]) -> Iterator[tuple[_Func | None, _Module, ast.Call, str]]:
    """Every call in ``modules`` that creates a thread: (the function it is in, module, call, what is called)."""
    for module in modules:
        for node, owner in _calls_with_owner(module.tree, project.funcs):
            dotted = project.qualify(module, node.func)
            if dotted in (_THREAD, _TIMER):
                yield owner, module, node, dotted
                continue
            cls = project.resolve_class(module, node.func)
            if cls is not None and project.is_thread_class(*cls):
                yield owner, module, node, f"{cls[0].dotted}.{cls[1].name}"
                continue
            func = node.func
            if dotted in _SYNC_TO_ASYNC and any(
                kw.arg == "thread_sensitive" and isinstance(kw.value, ast.Constant) and kw.value.value is False
                for kw in node.keywords
            ):
                # Not thread-sensitive: asgiref runs the function in a pool thread of its own.
                yield owner, module, node, _EXECUTOR
                continue
            if dotted == "asyncio.to_thread" or (isinstance(func, ast.Attribute) and func.attr == "run_in_executor"):
                yield owner, module, node, _EXECUTOR
                continue
            if (
                isinstance(func, ast.Attribute)
                and func.attr in _POOL_METHODS
                and _is_pool(project, module, owner, func.value)
            ):
                yield owner, module, node, _POOL
                continue
            if isinstance(func, ast.Attribute) and func.attr == "add_done_callback":
                # A future's callback runs in the thread that completes it (a pool's worker) when it is not done yet.
                yield owner, module, node, _POOL
                continue
            # super().__init__(target=...) inside a Thread subclass
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "__init__"
                and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name)
                and func.value.func.id == "super"
                and owner is not None
                and (klass := _owner_class(owner)) is not None
                and project.is_thread_class(module, klass)
            ):
                yield owner, module, node, f"{module.dotted}.{klass.name}"


def _is_pool(project: _Project, module: _Module, owner: _Func | None, expr: ast.expr, depth: int = 0) -> bool:
    """Is ``expr`` a thread pool (ThreadPoolExecutor, multiprocessing's ThreadPool, a project subclass):
    made right there, or a name or ``self.attr`` bound to one, here or in the module it is imported from?"""
    if depth > 3:
        return False
    if isinstance(expr, ast.Call):
        if project.qualify(module, expr.func) in _POOLS:
            return True
        found = project.resolve_class(module, expr.func)
        return found is not None and project.inherits_from(_POOLS, *found)
    bindings: list[tuple[ast.expr | None, ast.expr]] = []
    if isinstance(expr, ast.Name) and owner is not None and _is_parameter(owner, expr.id):
        # A pool handed in: nothing says its type but its name (executor, pool, thread_pool...).
        return bool(_POOL_NAME.search(expr.id))
    if isinstance(expr, ast.Name):
        for body in [module.tree.body, *(scope.body for scope in _scopes(owner))]:
            for stmt in body:
                for node in _own_nodes(stmt):
                    if isinstance(node, (ast.With, ast.AsyncWith)):
                        bindings += [(item.optional_vars, item.context_expr) for item in node.items]
                    elif isinstance(node, ast.Assign):
                        bindings += [(target, node.value) for target in node.targets]
        if any(
            isinstance(n, ast.Name) and n.id == expr.id and _is_pool(project, module, owner, v, depth + 1)
            for n, v in bindings
        ):
            return True
        dotted = project.qualify(module, expr)  # `from app.pools import executor`
        if dotted and "." in dotted:
            home, _, name = dotted.rpartition(".")
            other = project.module(home)
            value = _module_binding(other, name) if other is not None else None
            return other is not None and value is not None and _is_pool(project, other, None, value, depth + 1)
        return False
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self" and owner:
        klass = _owner_class(owner)
        for node in ast.walk(klass) if klass is not None else ():
            if (
                isinstance(node, ast.FunctionDef)
                and node.name == expr.attr
                and any(
                    isinstance(d, ast.Name) and d.id in ("property", "cached_property") for d in node.decorator_list
                )
            ):
                method = project.funcs.get(id(node))
                returned = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
                if method is not None and any(_is_pool(project, module, method, r, depth + 1) for r in returned):
                    return True
        if klass is not None and any(
            _is_pool(project, module, owner, value, depth + 1) for value in _self_assignments(klass, expr.attr)
        ):
            return True
    return False


def _calls_with_owner(tree: ast.Module, funcs: dict[int, _Func]) -> Iterator[tuple[ast.Call, _Func | None]]:
    todo: list[tuple[ast.AST, _Func | None]] = [(tree, None)]
    while todo:
        node, owner = todo.pop()
        if isinstance(node, ast.Call):
            yield node, owner
        inner = funcs.get(id(node), owner)
        todo.extend((child, inner) for child in ast.iter_child_nodes(node))


def _target_of(call: ast.Call, constructor: str) -> ast.expr | None:
    if constructor == _POOL:
        for kw in call.keywords:
            if kw.arg in ("func", "fn"):
                return kw.value  # apply_async(func=...)
        return call.args[0] if call.args else None  # submit(fn, /, ...), map(fn, *iterables), add_done_callback(fn)
    if constructor == _EXECUTOR:
        index = 1 if isinstance(call.func, ast.Attribute) and call.func.attr == "run_in_executor" else 0
        return call.args[index] if len(call.args) > index else None
    for kw in call.keywords:
        if kw.arg in ("target", "function"):
            return kw.value
    if constructor == _THREAD and len(call.args) >= 2:
        return call.args[1]  # Thread(group, target, ...)
    if constructor == _TIMER and len(call.args) >= 2:
        return call.args[1]  # Timer(interval, function, ...)
    return None


def _passed(call: ast.Call, constructor: str) -> list[ast.expr]:
    """The arguments a thread start hands to the function it runs (``args=``/``kwargs=``, or a pool's rest)."""
    if constructor == _POOL:
        return [*call.args[1:], *(kw.value for kw in call.keywords if kw.arg not in ("func", "fn"))]
    found: list[ast.expr] = []
    for kw in call.keywords:
        if kw.arg == "args" and isinstance(kw.value, (ast.List, ast.Tuple)):
            found += kw.value.elts
        elif kw.arg == "kwargs" and isinstance(kw.value, ast.Dict):
            found += [v for v in kw.value.values if v is not None]
    return found


def _through_callbacks(
    analyzer: _Analyzer, owner: _Func | None, module: _Module, target: _Func, passed: list[ast.expr]
) -> _Result | None:
    """A target that calls one of its parameters (``def timer(callback): ... callback()``) runs what the
    thread start passes for it: the first of those that uses the ORM stands for the thread."""
    if isinstance(target.node, ast.Lambda) or not passed or not _calls_a_parameter(analyzer, target, 0):
        return None
    project = analyzer.project
    for expr in passed:
        if isinstance(expr, ast.Name) and owner is not None and _shadowed(owner, expr.id):
            bound = _binding(owner, expr.id)
            expr = bound if isinstance(bound, (ast.Call, ast.Lambda)) else expr
        callee = _resolve_target(analyzer, owner, module, _partial_runs(project, module, expr))
        if callee is not None:
            sub = analyzer.analyze(callee)
            if sub.orm is not None:
                return sub
    return None


def _calls_a_parameter(analyzer: _Analyzer, func: _Func, depth: int) -> bool:
    """``func`` calls one of its parameters, itself or through a function it hands ``*args`` on to
    (``def watch(*args, **kwargs): watch_poll(*args, **kwargs)``)."""
    node = func.node
    if isinstance(node, ast.Lambda) or depth > 3:
        return False
    args = node.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    star = {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        if isinstance(call.func, ast.Name) and call.func.id in params:
            return True
        forwards = any(
            isinstance(a, ast.Starred) and isinstance(a.value, ast.Name) and a.value.id in star for a in call.args
        )
        callee = analyzer.resolve_call(func, call.func) if forwards else None
        if callee is not None and _calls_a_parameter(analyzer, callee, depth + 1):
            return True
    return False


def _partial_runs(project: _Project, module: _Module, expr: ast.expr) -> ast.expr:
    """The function ``partial(function, ...)`` runs, through nested partials; any other ``expr`` itself."""
    while isinstance(expr, ast.Call) and expr.args and project.qualify(module, expr.func) in _PARTIALS:
        expr = expr.args[0]
    return expr


def _resolve_target(analyzer: _Analyzer, owner: _Func | None, module: _Module, expr: ast.expr) -> _Func | None:
    if isinstance(expr, ast.Lambda):
        return analyzer.project.funcs.get(id(expr))
    scope = owner or _Func(ast.Lambda(args=_NO_ARGS, body=ast.Constant(None)), module, None, None)
    return analyzer.resolve_call(scope, expr)


_NO_ARGS = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


def _runs_target(analyzer: _Analyzer, module: _Module, cls: ast.ClassDef) -> tuple[bool, Closing | None]:
    """Does this Thread subclass run its target (no own ``run``, or ``super().run()``), and how closed?"""
    run = analyzer.find_method(module, cls, "run")
    if run is None:
        return True, None
    func = analyzer.project.funcs[id(run)]
    for node in ast.walk(run):
        if isinstance(node, _TRY) and any(_is_super_run(n) for s in node.body for n in ast.walk(s)):
            return True, analyzer.closer_in(func, node.finalbody)
    return any(_is_super_run(n) for n in ast.walk(run)), None


def _is_super_run(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "run"
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


# A file can start a thread only if its text names one of these (the classes that derive from a
# project's own thread class are found by their names afterwards).
_THREAD_WORDS = re.compile(
    rb"Thread\b|Timer\b|\.submit\(|Executor|to_thread|run_in_executor|sync_to_async|ThreadPool|apply_async"
    rb"|add_done_callback|start_new_thread"
)


def _files(root: Path) -> list[tuple[Path, str, str]]:
    """(path, path relative to ``root``, dotted module name) of every Python file of the project."""
    return [
        (path, relative(root, path), _dotted_name(path.relative_to(root)))
        for path in project_files(root, lambda p: p.suffix == ".py")
    ]


def _thread_modules(project: _Project) -> list[_Module]:
    """The modules where a thread may start: those naming a thread API, and those naming a class of
    the project that derives from a thread class, round after round."""
    names = project.dotted_names
    seen = {d for d in names if _THREAD_WORDS.search(project.source(d))}
    modules = [m for d in sorted(seen) if (m := project.load(d)) is not None]
    new = modules
    while True:
        classes = {c.name for m in new for c in m.all_classes if project.is_thread_class(m, c)}
        if not classes:
            return modules
        pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(c.encode()) for c in sorted(classes)) + rb")\b")
        more = [d for d in names if d not in seen and pattern.search(project.source(d))]
        seen.update(more)
        new = [m for d in more if (m := project.load(d)) is not None]
        modules += new


def scan_threads(root: Path) -> ThreadScan:
    """Find the project's threads and what they do with database connections.

    Args:
        root: The project folder (the one with ``manage.py``, or above it).

    Returns:
        Every thread start found, each analysable thread with its first ORM use and closing, and
        the files that could not be parsed.
    """
    with no_cycle_collection():
        return _scan(root)


def _scan(root: Path) -> ThreadScan:
    files = _files(root)
    project = _Project(files)
    analyzer = _Analyzer(project)
    modules = _thread_modules(project)
    entries: list[ThreadEntry] = []
    starts: list[str] = []

    for module in modules:
        for cls in module.all_classes:
            if not project.is_thread_class(module, cls):
                continue
            run = next(
                (s for s in cls.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == "run"),
                None,
            )
            starts.append(f"{module.rel}:{cls.lineno}")
            if run is None:
                continue
            result = analyzer.analyze(project.funcs[id(run)])
            entries.append(
                ThreadEntry(module.rel, run.lineno, ThreadKind.SUBCLASS, f"{cls.name}.run", result.orm, result.closing)
            )

    for owner, module, call, constructor in _thread_calls(project, modules):
        starts.append(f"{module.rel}:{call.lineno}")
        target_expr = _target_of(call, constructor)
        if target_expr is None:
            continue
        cover: Closing | None = None
        if constructor not in (_THREAD, _TIMER, _POOL, _EXECUTOR):
            found = project.lookup(constructor)
            if found is None or not isinstance(found[1], ast.ClassDef):
                continue
            runs, cover = _runs_target(analyzer, found[0], found[1])
            if not runs:
                continue  # its own run() ignores the target; analysed as a subclass above
        if isinstance(target_expr, ast.Name) and owner is not None and _shadowed(owner, target_expr.id):
            bound = _binding(owner, target_expr.id)  # callback = functools.partial(self.done, ...)
            if isinstance(bound, (ast.Call, ast.Lambda)):
                target_expr = bound
        called = _partial_runs(project, module, target_expr)
        target = _resolve_target(analyzer, owner, module, called)
        if target is None:
            continue
        result = analyzer.analyze(target)
        if result.orm is None:
            result = _through_callbacks(analyzer, owner, module, target, _passed(call, constructor)) or result
        closing = result.closing
        if result.orm is not None and cover is not None and _rank(cover) > _rank(closing):
            closing = cover
        name = target.name
        if name == "<lambda>" or called is not target_expr:
            name = ast.unparse(target_expr) if len(ast.unparse(target_expr)) <= 60 else name
        function = ast.unparse(called) if called is not target_expr else None
        kind = ThreadKind.POOL if constructor in (_POOL, _EXECUTOR) else ThreadKind.TARGET
        entries.append(
            ThreadEntry(
                module.rel, call.lineno, kind, name, result.orm, closing, function, isinstance(called, ast.Lambda)
            )
        )

    return ThreadScan(
        files=len(files),
        starts=tuple(dict.fromkeys(starts)),
        threads=tuple(sorted(entries, key=lambda e: (e.path, e.line))),
        unparsable=tuple(sorted(project.broken.items())),
    )
