"""Probe handlers as the kubelet runs them: exec inside the container, gRPC health, HTTP GET
and TCP against the pod's address, each bounded by `timeoutSeconds`.

Each returns (ok, output): output is what `status` shows (the exec output, the HTTP status,
the gRPC serving status, or the error).
"""

import asyncio
import ssl

PROBE_DEFAULTS = {'initialDelaySeconds': 0, 'periodSeconds': 10, 'timeoutSeconds': 1,
                  'successThreshold': 1, 'failureThreshold': 3}


def timings(probe):
    return {k: int(probe.get(k, v)) for k, v in PROBE_DEFAULTS.items()}


async def http_get(host, port, probe, timeout):
    get = probe['httpGet']
    path = get.get('path') or '/'
    headers = {h['name']: h['value'] for h in get.get('httpHeaders') or []}
    headers.setdefault('Host', f'{host}:{port}')
    headers.setdefault('User-Agent', 'kube-probe/1.29')
    headers.setdefault('Accept', '*/*')
    headers['Connection'] = 'close'
    ctx = None
    if get.get('scheme', 'HTTP').upper() == 'HTTPS':
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=ctx), timeout)
    try:
        request = f'GET {path} HTTP/1.1\r\n' + ''.join(f'{k}: {v}\r\n' for k, v in headers.items())
        writer.write((request + '\r\n').encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), timeout)
    finally:
        writer.close()
    parts = status.decode(errors='replace').split()
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    return 200 <= code < 400, f'HTTP {code}'


async def tcp_socket(host, port, timeout):
    _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    writer.close()
    return True, 'connected'


async def grpc_health(host, port, probe, timeout):
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    async with grpc.aio.insecure_channel(f'{host}:{port}') as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        reply = await stub.Check(
            health_pb2.HealthCheckRequest(service=probe['grpc'].get('service') or ''),
            timeout=timeout)
    name = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return reply.status == health_pb2.HealthCheckResponse.SERVING, name


async def run_probe(probe, pod_ip, resolve_port, exec_in_container):
    """One probe attempt. `resolve_port` maps a port number or name to a number;
    `exec_in_container(argv, timeout)` runs a command in the container, returning (code, output)."""
    timeout = timings(probe)['timeoutSeconds']
    try:
        if 'exec' in probe:
            code, output = await exec_in_container(probe['exec']['command'], timeout)
            return code == 0, output if code == 0 else f'exit {code}: {output}'
        handler = next(k for k in ('grpc', 'httpGet', 'tcpSocket') if k in probe)
        port = resolve_port(probe[handler]['port'])
        if port is None:
            return False, f'port {probe[handler]["port"]!r} is not a container port'
        host = probe[handler].get('host') or pod_ip
        if handler == 'grpc':
            return await grpc_health(host, port, probe, timeout)
        if handler == 'httpGet':
            return await http_get(host, port, probe, timeout)
        return await tcp_socket(host, port, timeout)
    except StopIteration:
        return False, 'probe has no handler'
    except asyncio.TimeoutError:
        return False, f'timed out after {timeout}s'
    except Exception as e:  # noqa: BLE001 - a failing probe reports why, whatever it was
        text = getattr(e, 'details', None)
        text = text() if callable(text) else str(e)
        return False, f'{type(e).__name__}: {text}'.strip()
