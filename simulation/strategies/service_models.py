"""Service-delivery models as strategies (brief §1, §3.7).

A strategy says, per party, which profile (autonomy loss, complexity, duration,
investment) applies, and how the parties' state turns into service quality/reach, file
linking, visibility and skill dependence. Add one by subclassing :class:`ServiceModel` and
decorating it with ``@register("name")``; the model never branches on the name.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import numpy as np

from ..config import ScenarioConfig, ServiceModelParams
from .registry import registrar

if TYPE_CHECKING:
    from ..agents import Party
    from ..protocols import ModelView

SERVICE_MODELS: dict[str, type[ServiceModel]] = {}


register = registrar(SERVICE_MODELS)


_REQUIRED: dict[bytes, np.ndarray] = {}


def required_links(department: np.ndarray) -> np.ndarray:
    """Boolean upper-triangular matrix of the links the one-counter service needs: every
    pair of departments and every department-partner pair (partners need not link to
    each other: they share information with the government, not among themselves)."""
    key = np.asarray(department, bool).tobytes()
    if key not in _REQUIRED:  # memoised: the same few masks are asked for every month
        need = np.triu(np.logical_or.outer(department, department), k=1)
        need.flags.writeable = False
        _REQUIRED[key] = need
    return _REQUIRED[key]


def working_links(
    integrated: np.ndarray, pair_trust: np.ndarray, threshold: float, department: np.ndarray | None = None
) -> np.ndarray:
    """Boolean matrix of working back-office links (upper triangle, required pairs only).

    A link between two parties works when both are integrated and their mutual trust,
    ``min(T_ij, T_ji)``, is at least ``threshold``. Without ``department`` every pair counts.
    """
    mutual = np.minimum(pair_trust, pair_trust.T) >= threshold
    both = np.outer(integrated, integrated)
    need = required_links(np.ones_like(integrated, bool) if department is None else department)
    return both & mutual & need


def link_share(
    integrated: np.ndarray, pair_trust: np.ndarray, threshold: float, department: np.ndarray | None = None
) -> float:
    """Share of required links that work (all pairs, or those of :func:`required_links`)."""
    n = integrated.size
    if n < 2:
        return float(integrated.all())
    need = required_links(np.ones(n, bool) if department is None else department).sum()
    if need == 0:
        return 0.0
    return float(working_links(integrated, pair_trust, threshold, department).sum()) / float(need)


def reach_share(reach: np.ndarray, integrated: np.ndarray) -> float:
    """Share of the public served by the channels that joined: ``1 - prod(1 - r_j)`` over
    joined partners j, each ``r_j`` the absolute share of the public its counters serve
    (overlapping channels, independent)."""
    return float(1.0 - np.prod(1.0 - reach[integrated]))


def config_warnings(config: ScenarioConfig) -> list[str]:
    """Set-ups that run but make little sense, for the user to see (not errors)."""
    out = []
    channels = config.service.model == "fragmentation" or (
        config.service.model == "hybrid" and config.hybrid.partner_channels
    )
    if channels:
        reach = [g for g in config.partners.groups if g.reach > 0]
        if not reach:
            out.append(
                f"service.model = {config.service.model!r} serves the public through partners' counters, "
                "but no [[partners.groups]] has reach > 0: service reach stays 0 for the whole run "
                "(give the channel partners a reach, or use service.model = 'integration')"
            )
        elif not any(not g.public for g in reach):
            out.append(
                "the channel partners with reach are all public: channel fees go to private partners only"
            )
    return out


class ServiceModel(ABC):
    name = "abstract"
    links_files = True  # whether back offices share information domains (links)

    def __init__(self, config: ScenarioConfig):
        self.config = config

    @abstractmethod
    def params_for(self, party: Party) -> ServiceModelParams:
        """The profile that applies to ``party``."""

    def required_count(self, model: ModelView) -> int:
        """Number of back-office links the service needs (``linking`` is a share of it)."""
        return int(required_links(model.department_mask).sum()) if self.links_files else 0

    def levels(self, model: ModelView) -> tuple[float, float]:
        """``(service_level, linking)`` of this month, computed once."""
        return self.service_level(model), self.linking(model)

    def link_matrix(self, model: ModelView) -> np.ndarray | None:
        """Boolean (upper-triangular) matrix of working back-office links, None if the
        service model links no back offices."""
        if not self.links_files:
            return None
        return working_links(
            model.integrated_mask(),
            model.pair_trust,
            self.config.integration.link_trust,
            model.department_mask,
        )

    @abstractmethod
    def service_level(self, model: ModelView) -> float:
        """Service quality (integration) or reach (fragmentation), 0..1."""

    @abstractmethod
    def linking(self, model: ModelView) -> float:
        """Share of files linked across back offices (privacy exposure), 0..1."""

    @property
    @abstractmethod
    def visibility(self) -> float: ...

    @property
    @abstractmethod
    def skill_dependence(self) -> float: ...

    def channel_fee(self, party: Party) -> float:
        """€ per adopter-month paid to ``party`` as a channel."""
        return self.params_for(party).channel_fee if not party.public else 0.0


@register("integration")
class Integration(ServiceModel):
    """One virtual counter: quality follows the share of required links that work
    (:func:`required_links`): ``S = quality_ceiling * working / required``."""

    def params_for(self, party: Party) -> ServiceModelParams:
        return self.config.integration

    def service_level(self, model: ModelView) -> float:
        return self.levels(model)[0]

    def levels(self, model: ModelView) -> tuple[float, float]:
        linking = self.linking(model)
        return self.config.integration.quality_ceiling * linking, linking

    def linking(self, model: ModelView) -> float:
        return link_share(
            model.integrated_mask(),
            model.pair_trust,
            self.config.integration.link_trust,
            model.department_mask,
        )

    @property
    def visibility(self) -> float:
        return self.config.integration.visibility

    @property
    def skill_dependence(self) -> float:
        return self.config.integration.skill_dependence


@register("fragmentation")
class Fragmentation(ServiceModel):
    """Hired counters: reach follows the partners' channels that joined (absolute reach,
    :func:`reach_share`), and each department's own task system:
    ``S = ceiling * reach_share * (0.5 + 0.5 dept_share)``; without partners
    ``S = ceiling * dept_share``."""

    def params_for(self, party: Party) -> ServiceModelParams:
        return self.config.fragmentation

    def service_level(self, model: ModelView) -> float:
        integrated = model.integrated_mask()
        dept = model.department_mask
        dept_share = float(integrated[dept].mean()) if dept.any() else 1.0
        partners = ~dept
        reach = reach_share(model.reach[partners], integrated[partners]) if partners.any() else dept_share
        return self.config.fragmentation.quality_ceiling * reach * (0.5 + 0.5 * dept_share)

    links_files = False

    def linking(self, model: ModelView) -> float:
        return 0.0  # a separate system per task: no files are linked

    @property
    def visibility(self) -> float:
        return self.config.fragmentation.visibility

    @property
    def skill_dependence(self) -> float:
        return self.config.fragmentation.skill_dependence


@register("hybrid")
class Hybrid(ServiceModel):
    """Departments integrate behind one counter; partners serve as channels.

    ``S = 0.5 * q_int * dept_link_share + 0.5 * q_frag * reach_share`` and visibility,
    skill dependence are the means of the two profiles; ``linking`` is the department
    link share. With ``[hybrid] partner_channels = false`` partners link their back
    offices as under integration and both halves use the integration link share.
    """

    def link_matrix(self, model: ModelView) -> np.ndarray | None:
        links = super().link_matrix(model)
        if links is not None and self.config.hybrid.partner_channels:
            dept = model.department_mask
            links = links & np.outer(dept, dept)
        return links

    def required_count(self, model: ModelView) -> int:
        if not self.config.hybrid.partner_channels:
            return super().required_count(model)
        d = int(model.department_mask.sum())
        return d * (d - 1) // 2

    def params_for(self, party: Party) -> ServiceModelParams:
        channel = party.kind == "partner" and self.config.hybrid.partner_channels
        return self.config.fragmentation if channel else self.config.integration

    def _parts(self, model: ModelView) -> tuple[float, float]:
        integrated = model.integrated_mask()
        dept = model.department_mask
        if not self.config.hybrid.partner_channels:
            # Partners link their back offices too: both halves are the integration share.
            links = link_share(integrated, model.pair_trust, self.config.integration.link_trust, dept)
            return links, links
        trust = model.pair_trust[np.ix_(dept, dept)]
        links = link_share(integrated[dept], trust, self.config.integration.link_trust)
        partners = ~dept
        reach = reach_share(model.reach[partners], integrated[partners]) if partners.any() else links
        return links, reach

    def service_level(self, model: ModelView) -> float:
        links, reach = self._parts(model)
        i, f = self.config.integration, self.config.fragmentation
        return 0.5 * i.quality_ceiling * links + 0.5 * f.quality_ceiling * reach

    def linking(self, model: ModelView) -> float:
        return self._parts(model)[0]

    @property
    def visibility(self) -> float:
        return 0.5 * (self.config.integration.visibility + self.config.fragmentation.visibility)

    @property
    def skill_dependence(self) -> float:
        i, f = self.config.integration, self.config.fragmentation
        return 0.5 * (i.skill_dependence + f.skill_dependence)


def make_service_model(config: ScenarioConfig) -> ServiceModel:
    return SERVICE_MODELS[config.service.model](config)
