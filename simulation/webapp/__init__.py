"""The browser app (``egov-sim serve``): watch, steer and compare strategies live.

``app`` holds the Solara page (imported only by the server), ``session`` the per-session
state, ``figures`` the matplotlib views, ``results`` the sweep-report browser.
"""
