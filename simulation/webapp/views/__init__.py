"""The browser app's views (Solara components); :mod:`simulation.webapp.app` wires them into
the page. Each module imports the model, the charts and the session state on first render,
so that importing the views (at server start) stays fast."""
