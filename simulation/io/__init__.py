"""Input and output plumbing: scenario files and their errors, package data, parameter
names, atomic output folders, CSV writing and progress bars. No model behaviour here."""
