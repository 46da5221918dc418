"""The user-facing error of every command (a light module: the command line imports it
before anything heavy)."""


class ScenarioError(ValueError):
    """A scenario (or experiment) file or override is invalid; the message says why."""


# Public home and pickled name as before: ``simulation.io.scenario_io.ScenarioError``.
ScenarioError.__module__ = "simulation.io.scenario_io"
