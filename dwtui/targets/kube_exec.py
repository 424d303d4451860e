"""`kubectl exec` for KubernetesTarget: the exec WebSocket via `kubernetes.stream.stream`.

The handshake is bounded from outside (websocket-client has no connect timeout of its own);
then frames are read in short slices so output reaches the log as it comes, the command's
own timeout is enforced, and cancel is honoured. The exit code comes from the channel-3
Status the API server sends when the command ends.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from dwtui.targets.base import ExecResult, TargetError
from dwtui.targets.kube_errors import explain

if TYPE_CHECKING:
    # Only a type (a Protocol); importing it at run time would point the layers upward.
    from dwtui.logsink import LogSink

#: How long one read of the socket may block, so timeout and cancel stay responsive.
SLICE_SECONDS = 0.25


def connect_exec(
    core: Any,
    namespace: str,
    pod: str,
    container: str,
    argv: list[str],
    *,
    request_timeout: float,
    host: str,
    context: str,
) -> Any:
    """Open the exec WebSocket (a `WSClient`), or raise TargetError with one line."""
    from kubernetes.stream import stream

    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["response"] = stream(
                core.connect_get_namespaced_pod_exec,
                pod,
                namespace,
                command=argv,
                container=container,
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
                _preload_content=False,
            )
        except Exception as exc:
            box["error"] = exc

    thread = threading.Thread(target=connect, name="kube-exec-connect", daemon=True)
    thread.start()
    thread.join(request_timeout)
    what = f'starting exec in pod "{pod}"'
    if thread.is_alive():
        raise TargetError(
            f"timeout: the Kubernetes API at {host} did not answer within "
            f"{round(request_timeout, 2):g}s while {what}"
        )
    if "error" in box:
        raise TargetError(
            explain(box["error"], what=what, host=host, context=context, timeout=request_timeout)
        )
    return box["response"]


def follow_exec(
    response: Any, pod: str, timeout: float, *, log: LogSink, cancel: threading.Event
) -> ExecResult:
    """Stream stdout/stderr to the log until the command ends; return its exit code."""
    deadline = time.monotonic() + timeout
    chunks: list[str] = []

    def drain() -> None:
        for channel in (1, 2):
            data = response.read_channel(channel)
            if data:
                chunks.append(data)
                log.write(data)

    try:
        while response.is_open():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                response.close()
                raise TargetError(f'command timed out after {timeout:g}s in pod "{pod}"')
            if cancel.is_set():
                response.close()
                raise TargetError(f'cancelled while running a command in pod "{pod}"')
            response.update(timeout=min(SLICE_SECONDS, remaining))
            drain()
        drain()
        try:
            code = int(response.returncode)
        except (TypeError, KeyError, ValueError, IndexError):
            raise TargetError(
                f'exec in pod "{pod}" ended without an exit status (connection lost?)'
            ) from None
    except TargetError:
        raise
    except Exception as exc:
        raise TargetError(f'exec in pod "{pod}" failed: {" ".join(str(exc).split())}') from None
    output = "".join(chunks)
    if output and not output.endswith("\n"):
        log.write("\n")
    log.line(f"exit code {code}")
    return ExecResult(exit_code=code, output=output)
