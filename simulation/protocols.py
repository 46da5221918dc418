"""What the lower layers may know of the model: a structural type, not the class.

Agents (``simulation.agents``) and strategies (``simulation.strategies``) act on the model
they belong to, but importing :class:`simulation.model.EGovModel` from there would close an
import cycle (the model imports them to wire itself). They type their ``model`` as
:class:`ModelView` instead; ``EGovModel`` satisfies it without naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from .config import ScenarioConfig


class ModelView(Protocol):
    """The model as agents and strategies see it (see ``simulation.model.EGovModel``)."""

    config: ScenarioConfig
    #: months since the start (int >= 0).
    month: int
    #: the model's random generator (``numpy.random.Generator``).
    random: Any
    #: every party (departments, then partners), in index order.
    parties: list[Any]
    #: the change programme (budget, compensation promises).
    programme: Any
    #: the service-model strategy (integration, fragmentation, hybrid).
    service: Any
    #: the money ledger (payer, payee, amount).
    ledger: Any
    #: the citizens' arrays (adoption state, skills, network).
    population: Any
    #: organisational experience from integrations so far, 0..1.
    experience: float
    #: whether any party changed state this month.
    moved: bool
    #: trust between each pair of parties, 0..1 (n x n).
    pair_trust: np.ndarray
    #: each party's reach (citizens it serves through its counters), >= 0.
    reach: np.ndarray
    #: True for departments, False for partners (n,).
    department_mask: np.ndarray
    #: Mesa's agent registry (``mesa.Model`` internals the citizen view fills lazily).
    agents: Any
    agents_by_type: Any
    agent_id_counter: Any
    _agents_by_type: Any
    _all_agents: Any

    def integrated_mask(self) -> np.ndarray: ...

    def log(self, party: Any, event: str, cause: str) -> None: ...

    def record(self, kind: str, party: Any, size: float = 1.0) -> None: ...
