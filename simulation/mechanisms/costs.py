"""Money per relation, double-entry (brief §3.10), in M€ for the represented population.

Every flow has a payer and a payee account:

    account             relation      what it is
    programme           employees     the organisation's change programme (its budget)
    department:<name>   employees     a back office of the organisation
    partner:<name>      governments   a public partner (another government body)
                        businesses    a private partner
    citizens            citizens      the public (persons), as a whole
    businesses          businesses    the business public, as a whole
    other_governments   governments   governments outside the model that co-invest
    suppliers           –             IT suppliers, consultants (where resource costs go)
    savings             –             avoided costs (where savings come from)

Flows (kind: payer -> payee):
    investment         party -> suppliers (own share), other_governments -> suppliers
                       (the joint part of a public party's investment that the
                       ``sharing_governments`` others bear, see :func:`investment_split`)
    overrun            party -> suppliers
    compensation       programme -> party (income to the party)
    channel_fees       programme -> private partner (income to the partner)
    consultation       programme -> suppliers
    participation      programme -> suppliers (the citizenship channel)
    saving             savings -> citizens / businesses (adopters), -> each end of a working
                       link (governments' and partners' own processes), -> department (staff)

Money scales with the represented population (``citizens.population``), never with the
number of simulated agents: a simulated adopter stands for ``population / count`` people.
"""

from __future__ import annotations

from collections import defaultdict

from ..config import RELATIONS

COST_KINDS = ("investment", "overrun", "compensation", "channel_fees", "consultation", "participation")
EXTERNAL = ("suppliers", "savings")


def relation_of(account: str, public: bool | None = None) -> str | None:
    """The relation (column of the scorecard) an account belongs to; None for external ones."""
    if account in EXTERNAL:
        return None
    if account in ("citizens", "businesses"):
        return account
    if account == "other_governments":
        return "governments"
    if account.startswith("partner:"):
        return "governments" if public else "businesses"
    return "employees"  # programme and departments: the own organisation


def investment_split(amount: float, public: bool, shared: float, sharing: int) -> tuple[float, float]:
    """(own part, other governments' part) of an investment ``amount`` (M€).

    A public party builds ``shared`` of it jointly with ``sharing`` other governments and
    bears an equal share of that joint part: own = amount (1 - shared + shared / (sharing + 1)).
    """
    if not public or sharing <= 0 or shared <= 0:
        return amount, 0.0
    joint = amount * shared
    own_joint = joint / (sharing + 1)
    return amount - joint + own_joint, joint - own_joint


class Ledger:
    """Cumulative flows ``(kind, payer, payee) -> M€``, with account relations."""

    def __init__(self) -> None:
        self.flows: dict[tuple[str, str, str], float] = defaultdict(float)
        self.relation: dict[str, str | None] = {a: relation_of(a) for a in (*EXTERNAL, "programme")}
        self.relation.update(
            {"citizens": "citizens", "businesses": "businesses", "other_governments": "governments"}
        )
        self.resource_cost = 0.0
        self.savings = 0.0

    def open_account(self, account: str, public: bool | None = None) -> None:
        self.relation[account] = relation_of(account, public)

    def pay(self, kind: str, payer: str, payee: str, amount: float) -> None:
        """Book ``amount`` M€ (≥ 0) paid by ``payer`` to ``payee``."""
        if amount < 0:
            raise ValueError(f"negative flow {amount} for {kind} ({payer} -> {payee})")
        if amount == 0:
            return
        if payer not in self.relation or payee not in self.relation:
            raise KeyError(f"unknown account in {kind}: {payer} -> {payee}")
        self.flows[(kind, payer, payee)] += amount
        if payee == "suppliers":
            self.resource_cost += amount
        if payer == "savings":
            self.savings += amount

    # ------------------------------------------------------------------ views
    def balances(self) -> dict[str, float]:
        """Net position (inflow - outflow) of every account; they sum to zero."""
        out = dict.fromkeys(self.relation, 0.0)
        for (_, payer, payee), amount in self.flows.items():
            out[payer] -= amount
            out[payee] += amount
        return out

    def by_kind(self, kind: str, *, payer: str | None = None, payee: str | None = None) -> float:
        return sum(
            a
            for (k, pr, pe), a in self.flows.items()
            if k == kind and (payer is None or pr == payer) and (payee is None or pe == payee)
        )

    def relation_net(self) -> dict[str, float]:
        """Net position per relation (savings and income minus payments), M€."""
        out = dict.fromkeys(RELATIONS, 0.0)
        for account, value in self.balances().items():
            rel = self.relation[account]
            if rel is not None:
                out[rel] += value
        return out

    def relation_has_accounts(self) -> dict[str, bool]:
        """Whether any account of the relation took part in a flow."""
        seen = {a for (_, pr, pe) in self.flows for a in (pr, pe)}
        out = dict.fromkeys(RELATIONS, False)
        for account in seen:
            rel = self.relation[account]
            if rel is not None:
                out[rel] = True
        return out

    def outlay(self, relation: str) -> float:
        """What the accounts of ``relation`` paid to accounts outside it, M€ (savings and
        transfers within the relation not counted)."""
        rel = self.relation
        return sum(a for (_, pr, pe), a in self.flows.items() if rel[pr] == relation and rel[pe] != relation)

    @property
    def total_cost(self) -> float:
        """Resource cost: what leaves the books to suppliers (transfers between parties,
        compensation and fees, net out)."""
        return self.resource_cost

    @property
    def total_benefit(self) -> float:
        return self.savings
