"""What a run is turned into: KPIs, the perspectives/relations scorecard, the narrative,
parameter documentation and figures. Functions take a model or plain data, never a runner's
result class (docs/ARCHITECTURE.md)."""
