"""The polling daemon: the composition root and the wiring it owns.

`service.py` holds `Daemon`, which builds every subsystem and starts, reloads and stops
them in order; `port_attachments.py` joins the endpoint table with the devices (which
device is on which switch port, and the alert topology that follows); `agent_hosts.py`
puts the pushing agent hosts on the status page.
"""

from lanpulse.daemon.service import Daemon

__all__ = ["Daemon"]
