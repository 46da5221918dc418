"""Experiments at scale: experiment files, designs, resumable sweeps and their analysis.

``egov-sim sweep EXPERIMENT`` runs an experiment file (see ``docs/EXPERIMENTS.md``);
``egov-sim analyse DIR`` summarises its output folder.
"""

from .spec import Experiment, Factor, load_experiment

__all__ = ["Experiment", "Factor", "load_experiment"]
