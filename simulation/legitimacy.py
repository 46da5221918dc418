"""Citizens' trust in government (brief §3.9), vectorised.

    L1 = L + rate * adopted * visibility * (S - E) * (1 - L if S > E else L)
           + participation_rate * (1 - service_focus) * (1 - L)
    L2 = L1 - privacy_erosion * privacy * intrusiveness * linking
    L' = clip(L2 + relaxation * (L0 - L2), 0, 1)      (applied in this order)
    E  = expectation + expectation_boost * service_focus

Experience is credited to government only as far as it is visible (fragmentation earns
little). A service-only framing raises expectations E; when the service does not meet
them, legitimacy falls even as use grows (the "legitimacy paradox"); and it neglects the
citizen as *citoyen*: the citizenship (participation) channel, the programme's share
``1 - service_focus``, builds trust among all citizens, users or not (article: "de burger
is meer dan een klant ... ook nog citoyen"). Linked files erode trust among
privacy-concerned citizens.
"""

from __future__ import annotations

import numpy as np

from .config import LegitimacyConfig


def expectation(service_focus: float, cfg: LegitimacyConfig) -> float:
    """Service quality citizens expect (0..1)."""
    return min(1.0, cfg.expectation + cfg.expectation_boost * service_focus)


def step(
    legitimacy: np.ndarray,
    baseline: np.ndarray,
    adopted: np.ndarray,
    privacy: np.ndarray,
    *,
    service: float,
    visibility: float,
    expected: float,
    intrusiveness: float,
    linking: float,
    cfg: LegitimacyConfig,
    service_focus: float = 1.0,
) -> None:
    """Update ``legitimacy`` in place for one month."""
    gain = cfg.rate * visibility * (service - expected)
    # Bounded: good experience closes part of the gap to 1, bad part of the gap to 0.
    room = (1.0 - legitimacy) if gain > 0 else legitimacy
    legitimacy += np.where(adopted, gain * room, 0.0)
    citizenship = cfg.participation_rate * (1.0 - service_focus)
    if citizenship > 0.0:
        legitimacy += citizenship * (1.0 - legitimacy)
    if linking > 0.0 and intrusiveness > 0.0:
        legitimacy -= (cfg.privacy_erosion * intrusiveness * linking) * privacy
    legitimacy += cfg.relaxation * (baseline - legitimacy)
    np.clip(legitimacy, 0.0, 1.0, out=legitimacy)
