"""The model's mechanisms, one module each: pure functions over arrays and configuration.

adoption (citizens' Bass-type uptake), costs (money flows and the ledger), implementation
(IT projects and their overruns), learning (organisational experience), legitimacy
(citizens' view of government), negotiation (offers, compensation, acceptance), network
(the citizens' contact network), resistance and trust (the parties' attitudes).
Nothing here imports the model, the agents or anything above them (docs/ARCHITECTURE.md).
"""
