"""SSH command-line collection with netmiko: I/O only, returns `RawCli`, never Samples.

netmiko is synchronous, so every device session runs on a bounded thread pool. Three limits
keep one bad device from stalling the others: a connection limit per device (a semaphore,
so overlapping polls of one device queue instead of opening more sessions), a per-command
read timeout, and a per-device deadline after which the session's socket is closed from
outside, which unblocks whatever read the worker thread is stuck in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lanpulse.core.errors import (
    AgentError,
    AuthError,
    CollectError,
    CollectTimeout,
    HostKeyError,
    PollError,
    UnreachableError,
)
from lanpulse.core.model import Device, RawCli, SshCredentials, now_ns

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CliPlan:
    """What one CLI poll runs: commands in order, and the texts that mean "rejected"."""

    device_type: str  # netmiko device_type
    commands: tuple[str, ...]
    rejected_patterns: tuple[str, ...] = ()


@dataclass
class _Session:
    """One open netmiko connection and the socket under it (closed to abort a hung read)."""

    conn: Any
    sock: socket.socket
    opened_at: float
    polls: int = 0


@dataclass
class _DeviceSlot:
    """Per-device state: the connection limit, the persistent session, the live socket."""

    limit: threading.BoundedSemaphore
    session: _Session | None = None
    live_sock: socket.socket | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _netmiko_connect(**kwargs: Any) -> Any:
    # Imported lazily: netmiko pulls in paramiko and many drivers (about 0.5 s of imports),
    # which commands that never open a session should not pay for.
    from netmiko import ConnectHandler

    return ConnectHandler(**kwargs)


class CliCollector:
    """Polls devices over SSH on a bounded thread pool; see the module docstring."""

    def __init__(
        self,
        *,
        max_workers: int = 16,
        connections_per_device: int = 1,
        keepalive_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        connect: Callable[..., Any] = _netmiko_connect,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="cli")
        self._connections_per_device = connections_per_device
        self._keepalive_s = keepalive_s
        self._clock = clock
        self._connect = connect
        self._slots: dict[str, _DeviceSlot] = {}
        self._slots_lock = threading.Lock()

    # ----------------------------------------------------------------- public API

    async def collect(self, device: Device, plan: CliPlan) -> RawCli:
        """Run `plan` on `device` in the pool; raise `CollectError` naming the device."""
        deadline_s = self.deadline_for(device, plan)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, self._collect_blocking, device, plan, deadline_s)
        try:
            return await asyncio.wait_for(future, timeout=deadline_s)
        except TimeoutError:
            self._abort(device.name)
            raise CollectTimeout(
                device.name, f"CLI poll did not finish within its deadline of {deadline_s:g}s"
            ) from None

    def collect_sync(self, device: Device, plan: CliPlan) -> RawCli:
        """Blocking variant of `collect` for one-off use (`lanpulse poll --cli`)."""
        deadline_s = self.deadline_for(device, plan)
        future = self._pool.submit(self._collect_blocking, device, plan, deadline_s)
        try:
            return future.result(timeout=deadline_s)
        except TimeoutError:
            self._abort(device.name)
            raise CollectTimeout(
                device.name, f"CLI poll did not finish within its deadline of {deadline_s:g}s"
            ) from None

    @staticmethod
    def deadline_for(device: Device, plan: CliPlan) -> float:
        """The per-device deadline: configured, else connect plus every command's timeout."""
        if device.deadline_s:
            return device.deadline_s
        ssh = _ssh(device)
        budget = ssh.timeout_s * 2 + ssh.command_timeout_s * max(1, len(plan.commands))
        return min(budget, max(device.interval_s, ssh.timeout_s * 2))

    def session_polls(self) -> dict[str, int]:
        """Device -> polls served by its open persistent session (for checks and metrics)."""
        with self._slots_lock:
            slots = dict(self._slots)
        return {name: slot.session.polls for name, slot in slots.items() if slot.session}

    def drop_session(self, name: str) -> None:
        """Close a device's persistent session now (the next poll reconnects)."""
        self._abort(name)

    def close(self) -> None:
        """Close every persistent session and stop the pool (without waiting for hung work)."""
        with self._slots_lock:
            slots = list(self._slots.values())
        for slot in slots:
            with slot.lock:
                session, slot.session = slot.session, None
            if session is not None:
                _disconnect(session)
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ----------------------------------------------------------------- internals

    def _slot(self, name: str) -> _DeviceSlot:
        with self._slots_lock:
            slot = self._slots.get(name)
            if slot is None:
                slot = _DeviceSlot(threading.BoundedSemaphore(self._connections_per_device))
                self._slots[name] = slot
            return slot

    def _abort(self, name: str) -> None:
        """Close the socket a worker is blocked on, so the thread ends soon after a deadline."""
        slot = self._slot(name)
        with slot.lock:
            sock, slot.live_sock = slot.live_sock, None
            session, slot.session = slot.session, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        if session is not None:
            _disconnect(session)

    def _collect_blocking(self, device: Device, plan: CliPlan, deadline_s: float) -> RawCli:
        started_ns = now_ns()
        slot = self._slot(device.name)
        if not slot.limit.acquire(timeout=deadline_s):
            raise CollectTimeout(device.name, "another CLI poll of this device is still running")
        try:
            return self._run_plan(device, plan, slot, started_ns)
        finally:
            slot.limit.release()

    def _run_plan(
        self, device: Device, plan: CliPlan, slot: _DeviceSlot, started_ns: int
    ) -> RawCli:
        ssh = _ssh(device)
        session = slot.session if ssh.persistent else None
        reused = session is not None and _alive(session)
        if session is not None and not reused:
            _disconnect(session)
            session = None
        if session is None:
            session = self._open(device, plan, slot)
        outputs: dict[str, str] = {}
        errors: list[PollError] = []
        try:
            for command in plan.commands:
                try:
                    text = _run_command(session, command, ssh.command_timeout_s)
                except (OSError, EOFError) as exc:
                    if not reused:
                        raise CollectError(device.name, f"session lost: {exc}") from None
                    # A persistent session the device closed since the last poll: reconnect
                    # once, then carry on from this command.
                    log.info("%s: persistent session lost (%s); reconnecting", device.name, exc)
                    _disconnect(session)
                    session = self._open(device, plan, slot)
                    reused = False
                    text = _run_command(session, command, ssh.command_timeout_s)
                except _CommandTimeout:
                    errors.append(
                        PollError(
                            CollectTimeout,
                            command,
                            f"no complete output within {ssh.command_timeout_s:g}s",
                        )
                    )
                    # The session's state is unknown after a timed-out read: never reuse it.
                    _disconnect(session)
                    try:
                        session = self._open(device, plan, slot)
                    except CollectError as exc:
                        # Keep what was collected; the rest of the plan cannot run.
                        for rest in plan.commands[plan.commands.index(command) + 1 :]:
                            errors.append(PollError(type(exc), rest, f"not run: {exc.message}"))
                        return RawCli(
                            device.name, _platform(device), started_ns, outputs, tuple(errors)
                        )
                    continue
                rejected = _rejection(text, plan.rejected_patterns)
                if rejected is not None:
                    errors.append(
                        PollError(
                            AgentError, command, f"command rejected by the device: {rejected}"
                        )
                    )
                    continue
                outputs[command] = text
            session.polls += 1
        finally:
            if ssh.persistent and slot.live_sock is session.sock:
                slot.session = session
            else:
                _disconnect(session)
                with slot.lock:
                    if slot.live_sock is session.sock:
                        slot.live_sock = None
        return RawCli(device.name, _platform(device), started_ns, outputs, tuple(errors))

    def _open(self, device: Device, plan: CliPlan, slot: _DeviceSlot) -> _Session:
        ssh = _ssh(device)
        try:
            sock = socket.create_connection((device.address, ssh.port), timeout=ssh.timeout_s)
        except TimeoutError:
            raise CollectTimeout(
                device.name, f"TCP connect to {device.address}:{ssh.port} timed out"
            ) from None
        except OSError as exc:
            raise UnreachableError(
                device.name, f"cannot reach {device.address}:{ssh.port}: {exc.strerror or exc}"
            ) from None
        with slot.lock:
            slot.live_sock = sock
        try:
            conn = self._connect(**_connect_args(device, plan, sock, self._keepalive_s))
        except Exception as exc:
            with contextlib.suppress(OSError):
                sock.close()
            raise _classify(device, exc) from None
        session = _Session(conn, sock, self._clock())
        if ssh.enable_secret and plan.device_type != "linux":
            try:
                conn.enable()
            except Exception:
                _disconnect(session)
                raise AuthError(
                    device.name, "entering enable mode failed (check `ssh.enable_secret`)"
                ) from None
        return session


class _CommandTimeout(Exception):
    """A command's output did not end in the prompt within its timeout."""


def _ssh(device: Device) -> SshCredentials:
    if device.ssh is None:
        raise CollectError(device.name, "no `ssh:` section: the device has no CLI access")
    return device.ssh


def _platform(device: Device) -> str:
    return _ssh(device).platform


def _connect_args(
    device: Device, plan: CliPlan, sock: socket.socket, keepalive_s: float
) -> dict[str, Any]:
    ssh = _ssh(device)
    args: dict[str, Any] = {
        "device_type": plan.device_type,
        "host": device.address,
        "port": ssh.port,
        "username": ssh.user or "",
        "password": ssh.password.reveal() if ssh.password else "",
        "sock": sock,
        "conn_timeout": ssh.timeout_s,
        "auth_timeout": ssh.timeout_s,
        "banner_timeout": ssh.timeout_s,
        "allow_agent": False,
        "use_keys": bool(ssh.key_file),
        "key_file": ssh.key_file,
        "keepalive": int(keepalive_s) if ssh.persistent else 0,
        "fast_cli": True,
    }
    if ssh.enable_secret:
        args["secret"] = ssh.enable_secret.reveal()
    if ssh.host_key_check:
        # RejectPolicy: an unknown or changed host key refuses the connection.
        args["ssh_strict"] = True
        if ssh.known_hosts:
            args["alt_host_keys"] = True
            args["alt_key_file"] = ssh.known_hosts
        else:
            args["system_host_keys"] = True
    return args


def _classify(device: Device, exc: Exception) -> CollectError:
    """One line naming the device and what went wrong, from netmiko/paramiko's exceptions."""
    import paramiko

    name = device.name
    text = str(exc)
    if isinstance(exc, paramiko.BadHostKeyException) or "does not match" in text:
        return HostKeyError(
            name,
            "host key changed: it does not match known_hosts "
            "(check the device, then update known_hosts or set `ssh.host_key_check: false`)",
        )
    if "not found in known_hosts" in text:
        return HostKeyError(
            name,
            "host key unknown: not in known_hosts "
            "(add it with ssh-keyscan, or set `ssh.host_key_check: false`)",
        )
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthError(
            name, "authentication failed (check `ssh.user`, `ssh.password` / `ssh.key_file`)"
        )
    if isinstance(exc, TimeoutError | socket.timeout) or "timed out" in text.lower():
        return CollectTimeout(name, "no SSH answer within `ssh.timeout`")
    if isinstance(exc, paramiko.SSHException | EOFError | OSError):
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        if "Error reading SSH protocol banner" in text or "No existing session" in text:
            return CollectTimeout(name, "no SSH banner within `ssh.timeout`")
        return AgentError(name, f"SSH session failed: {first}")
    return AgentError(name, f"SSH session failed: {type(exc).__name__}")


def _run_command(session: _Session, command: str, timeout_s: float) -> str:
    from netmiko.exceptions import ReadTimeout

    try:
        out = session.conn.send_command(command, read_timeout=timeout_s)
    except ReadTimeout:
        raise _CommandTimeout(command) from None
    return str(out)


def _rejection(text: str, patterns: Sequence[str]) -> str | None:
    """The device's error line when `text` is a rejection (only the first lines count)."""
    head = text.lstrip().splitlines()[:3]
    for line in head:
        for pattern in patterns:
            if pattern in line:
                return line.strip()
    return None


def _alive(session: _Session) -> bool:
    try:
        return bool(session.conn.is_alive())
    except Exception:
        return False


def _disconnect(session: _Session) -> None:
    # Close the SSH channel and transport without netmiko's `cleanup()` dialogue ("exit"
    # and waiting for the prompt to go away), which costs up to ~10 s on some drivers
    # (Junos) per poll; closing the channel frees the device's vty all the same.
    with contextlib.suppress(Exception):
        session.conn.paramiko_cleanup()
    with contextlib.suppress(OSError):
        session.sock.close()
