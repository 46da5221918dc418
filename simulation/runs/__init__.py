"""Running the model: one run and its output folder (runner), paired comparisons (compare),
parameter ensembles from priors and the posterior (priors, ensemble), seeds, statistics and
the CLI's text tables."""
