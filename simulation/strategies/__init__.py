"""Strategies plugged into the one model: service models (integration, fragmentation,
hybrid) and rollouts (big bang, phased, pilot), each chosen by name from the scenario."""
