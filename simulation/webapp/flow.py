"""Flow control for Play: the browser acknowledges each frame it has applied.

Without it the server sends frames as fast as it can make them; on a busy machine the
browser falls behind, its websocket queue grows, and a click on Pause takes effect only
after every queued frame was drawn (tens of seconds). With it, Play keeps at most one
frame in flight: it waits for the browser to acknowledge the frame before the previous
one before it sends the next, so the browser's speed sets the pace.
"""

from __future__ import annotations

import threading

import ipyvue
import traitlets

TEMPLATE = """
<template><span class="egov-frame-ack" style="display:none">{{ frame }}</span></template>
<script>
module.exports = {
  mounted() { this.ack(this.frame); },
  watch: { frame(value) { this.$nextTick(() => this.ack(value)); } },
};
</script>
"""


class FrameAck(ipyvue.VueTemplate):
    """A hidden widget: set ``frame`` with each frame; the browser calls back ``ack``."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.seen = -1
        self.cond = threading.Condition()

    def vue_ack(self, value) -> None:
        with self.cond:
            self.seen = max(self.seen, int(value or 0))
            self.cond.notify_all()

    def wait(self, frame: int, timeout: float) -> bool:
        """Block until the browser applied ``frame`` (True) or ``timeout`` seconds passed."""
        with self.cond:
            return self.cond.wait_for(lambda: self.seen >= frame, timeout)
