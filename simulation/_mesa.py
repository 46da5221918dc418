"""Import the parts of Mesa the model uses without Mesa's package ``__init__``.

``import mesa.model`` runs ``mesa/__init__.py`` first, which imports every sub-package:
discrete spaces (networkx, scipy.spatial), the batch runner, ``mesa.experimental`` with its
continuous space. The model needs ``mesa.agent``, ``mesa.model`` and ``mesa.datacollection``
only (and ``mesa.agent`` imports pandas without using it at import time). :func:`install`
puts a stand-in for pandas in ``sys.modules`` (the real pandas loads on first use) and registers ``mesa`` and ``mesa.experimental`` as package modules whose
``__init__`` has not run yet, then imports those three submodules: Python finds submodules
through the package's ``__path__`` without running its ``__init__``.

Nothing is lost: the first access to any other attribute (``mesa.batch_run``,
``mesa.__version__``, ``mesa.experimental.devs`` ...) runs the real ``__init__`` in the same
module object, so ``mesa`` then behaves exactly as after a plain ``import mesa``.
Use it as ``from ._mesa import mesa`` instead of ``import mesa``.
``EGOV_SIM_FULL_MESA=1`` turns this off (plain ``import mesa``). It must run before anything
else imports Mesa; if Mesa is already imported it does nothing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
import sys
import types
from typing import Any

_DEFERRED = ("mesa", "mesa.experimental")


class _Deferred(types.ModuleType):
    """A package whose ``__init__`` runs on the first access to a name it lacks."""

    def __getattr__(self, name: str) -> Any:
        _complete(self.__name__)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def _complete(name: str) -> None:
    module = sys.modules[name]
    if not isinstance(module, _Deferred) or module.__dict__.get("_egov_initialised"):
        return
    module.__dict__["_egov_initialised"] = True
    parent = name.rpartition(".")[0]
    if parent:
        _complete(parent)
    module.__class__ = types.ModuleType  # a plain module from now on
    module.__spec__.loader.exec_module(module)  # the real __init__, in the same object


def _defer(name: str) -> types.ModuleType | None:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.submodule_search_locations is None or spec.loader is None:
        return None
    module = _Deferred(name)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = name
    module.__loader__ = spec.loader
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


class _OnFirstUse(types.ModuleType):
    """Stands in for a module until one of its names is used, then imports the real one
    (which replaces it in ``sys.modules``) and forwards every access to it.

    Unlike :class:`importlib.util.LazyLoader`, a later ``import pandas`` elsewhere does not
    trigger the load: the import system reads only ``__spec__``, which is set here.
    """

    def __getattr__(self, name: str) -> Any:
        real = self.__dict__.get("_egov_real")
        if real is None:
            if name.startswith("__") and name not in {"__path__", "__version__", "__all__"}:
                # Probes such as inspect.getmodule's scan of sys.modules must not load it.
                raise AttributeError(name)
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = importlib.import_module(self.__name__)
            self.__dict__["_egov_real"] = real
        return getattr(real, name)


def _lazy(name: str) -> None:
    """Put a stand-in for ``name`` in ``sys.modules``: ``import name`` binds it at no cost;
    the real module is imported on the first attribute access (``pd.DataFrame``)."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    module = _OnFirstUse(name)
    module.__spec__ = spec
    module.__file__ = spec.origin
    module.__loader__ = spec.loader
    module.__package__ = name  # no __path__: importing a submodule loads the real package
    sys.modules[name] = module


def _quick_module_loggers() -> None:
    """Mesa's ``create_module_logger()`` finds its caller's module with ``inspect.stack()``,
    which reads the source of every frame on the stack (about 20 ms per call at import).
    The caller's ``__name__`` from its frame is the same name, at no cost."""
    logging_module = importlib.import_module("mesa.mesa_logging")
    original = logging_module.create_module_logger

    def create_module_logger(name: str | None = None):
        if name is None:
            name = sys._getframe(1).f_globals.get("__name__")
        return original(name)

    create_module_logger.__doc__ = original.__doc__
    logging_module.create_module_logger = create_module_logger

    # method_logger() finds the class it decorates in with inspect.getouterframes() (about
    # 25 ms, once for Model at import); the calling frame's code name is that class name.
    get_module_logger = logging_module.get_module_logger

    def method_logger(name: str):
        logger = get_module_logger(name)
        classname = sys._getframe(1).f_code.co_name

        def real_decorator(func):
            @functools.wraps(func)
            def wrapper(*args, **kwargs):
                logger.debug(f"calling {classname}.{func.__name__} with {args[1::]} and {kwargs}")
                return func(*args, **kwargs)

            return wrapper

        return real_decorator

    method_logger.__doc__ = logging_module.method_logger.__doc__
    logging_module.method_logger = method_logger


def install() -> None:
    """Make ``mesa.Agent``, ``mesa.Model`` and ``mesa.DataCollector`` available cheaply."""
    if "mesa" in sys.modules:
        return
    if os.environ.get("EGOV_SIM_FULL_MESA") == "1":
        importlib.import_module("mesa")
        return
    _lazy("pandas")  # mesa.agent imports it at the top but uses it only in methods
    try:
        mesa = _defer("mesa")
        if mesa is None or _defer("mesa.experimental") is None:
            raise ImportError("mesa")
        _quick_module_loggers()
        agent = importlib.import_module("mesa.agent")
        mesa.Agent = agent.Agent  # mesa.datacollection does `from mesa import Agent`
        mesa.Model = importlib.import_module("mesa.model").Model
        mesa.DataCollector = importlib.import_module("mesa.datacollection").DataCollector
    except Exception:  # noqa: BLE001 - any surprise: fall back to the plain import
        for name in [m for m in sys.modules if m == "mesa" or m.startswith("mesa.")]:
            del sys.modules[name]
        importlib.import_module("mesa")


install()
mesa = sys.modules["mesa"]  # what model.py and agents.py use: `from ._mesa import mesa`
