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

from ..config import LegitimacyConfig


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
    buffer: np.ndarray | None = None,
) -> None:
    """Update ``legitimacy`` in place for one month.

    ``buffer``: an optional scratch array of the same size and dtype, reused each month
    (no month-by-month allocation at millions of citizens); the result is the same.
    """
    L = legitimacy
    buf = np.empty_like(L) if buffer is None else buffer
    gain = cfg.rate * visibility * (service - expected)
    # Bounded: good experience closes part of the gap to 1, bad part of the gap to 0.
    # (Non-adopters get nothing; adding 0 would leave them as they are.)
    if gain > 0:
        np.subtract(1.0, L, out=buf)
    else:
        np.copyto(buf, L)
    buf *= gain
    np.add(L, buf, out=L, where=adopted)
    citizenship = cfg.participation_rate * (1.0 - service_focus)
    if citizenship > 0.0:
        np.subtract(1.0, L, out=buf)
        buf *= citizenship
        L += buf
    if linking > 0.0 and intrusiveness > 0.0:
        np.multiply(privacy, cfg.privacy_erosion * intrusiveness * linking, out=buf)
        L -= buf
    np.subtract(baseline, L, out=buf)
    buf *= cfg.relaxation
    L += buf
    np.clip(L, 0.0, 1.0, out=L)
