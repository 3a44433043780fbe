"""The Deployment and StatefulSet controllers: which pods to start and which to delete so that a
workload converges on its desired pods, rolling as the real controllers do when a template
changes (pkg/controller/deployment/rolling.go, pkg/controller/statefulset/stateful_set_control.go).
"""

import copy

from . import objects


def scaled(value, total, round_up):
    """An int-or-percent of `total` (maxSurge rounds up, maxUnavailable down)."""
    if isinstance(value, int):
        return value
    fraction = int(str(value).rstrip('%')) * total / 100
    return int(-(-fraction // 1)) if round_up else int(fraction // 1)


def deployment(node, obj, descs):
    meta, spec = obj['metadata'], obj['spec']
    pods = [p for p in node.owned('Deployment', meta['namespace'], meta['name']) if not p.deleting]
    replicas = len(descs)
    current = objects.template_hash(spec['template'])
    new = [p for p in pods if p.template_hash == current]
    old = [p for p in pods if p.template_hash != current]
    strategy = spec.get('strategy') or {}
    if strategy.get('type') == 'Recreate':
        recreate(node, obj, descs, new, old)
        return
    ru = strategy.get('rollingUpdate') or {}
    max_surge = scaled(ru.get('maxSurge', '25%'), replicas, round_up=True)
    max_unavailable = scaled(ru.get('maxUnavailable', '25%'), replicas, round_up=False)
    if max_surge == 0 and max_unavailable == 0:
        max_unavailable = 1  # the API server refuses both 0; never stall on it here
    max_total = replicas + max_surge
    scale_up = replicas - len(new) if not old else min(replicas - len(new),
                                                       max_total - len(new) - len(old))
    for _ in range(max(0, scale_up)):
        node.start_pod(copy.deepcopy(descs[0]))
    if not old:
        extra = sorted(new, key=lambda p: (p.ready, -p.created))[:max(0, len(new) - replicas)]
        for p in extra:
            node.delete_pod(p)
        return
    # Old pods that serve nothing go first, then Ready ones as far as availability allows.
    min_available = replicas - max_unavailable
    ready_total = sum(1 for p in new + old if p.ready)
    unhealthy = [p for p in old if not p.ready]
    healthy = sorted((p for p in old if p.ready), key=lambda p: p.created)
    max_scaled_down = max(0, len(new) + len(old) - min_available - (len(new) - sum(
        1 for p in new if p.ready)))
    for p in unhealthy[:max_scaled_down]:
        node.delete_pod(p)
    for p in healthy[:max(0, ready_total - min_available)]:
        node.delete_pod(p)


def recreate(node, obj, descs, new, old):
    """Recreate: every old pod goes, and new ones start once none is left."""
    meta = obj['metadata']
    for p in old:
        node.delete_pod(p)
    if old or any(p.deleting for p in node.owned('Deployment', meta['namespace'], meta['name'])):
        return
    for _ in range(len(descs) - len(new)):
        node.start_pod(copy.deepcopy(descs[0]))


def statefulset(node, obj, descs):
    meta, spec = obj['metadata'], obj['spec']
    ordered = spec.get('podManagementPolicy', 'OrderedReady') == 'OrderedReady'
    pods = {p.ordinal: p for p in node.owned('StatefulSet', meta['namespace'], meta['name'])}
    terminating = any(p.deleting for p in pods.values())
    if ordered and terminating:
        return  # OrderedReady waits for a condemned pod to be gone before anything else
    for d in descs:
        if d['ordinal'] in pods or (meta['namespace'], d['name']) in node.pods:
            continue
        if ordered and not all(pods.get(i) and pods[i].ready for i in range(d['ordinal'])):
            break
        node.start_pod(copy.deepcopy(d))
        if ordered:
            break
    for ordinal in sorted(pods, reverse=True):
        if ordinal >= len(descs) and not pods[ordinal].deleting:
            if ordered and not all(p.ready for p in pods.values()):
                return
            node.delete_pod(pods[ordinal])
            if ordered:
                return
    rolling_update(node, spec, descs, pods, terminating)


def rolling_update(node, spec, descs, pods, terminating):
    """StatefulSet RollingUpdate: the highest outdated ordinal at or above the partition is
    replaced, one at a time, once every pod is Ready."""
    strategy = spec.get('updateStrategy') or {}
    if strategy.get('type') == 'OnDelete' or not descs:
        return
    partition = (strategy.get('rollingUpdate') or {}).get('partition', 0)
    current = descs[0]['templateHash']
    live = [pods[i] for i in sorted(pods) if i < len(descs)]
    if terminating or len(live) < len(descs) or not all(p.ready for p in live):
        return
    for p in sorted(live, key=lambda p: -p.ordinal):
        if p.ordinal >= partition and p.template_hash != current:
            node.delete_pod(p)
            return


def converged(node, obj, descs):
    """A workload has exactly its desired pods, none outdated (but those a partition or
    OnDelete keeps) and none terminating."""
    meta, spec = obj['metadata'], obj['spec']
    pods = node.owned(obj['kind'], meta['namespace'], meta['name'])
    if len(pods) != len(descs) or any(p.deleting for p in pods):
        return False
    current = descs[0]['templateHash'] if descs else None
    if obj['kind'] == 'StatefulSet':
        strategy = spec.get('updateStrategy') or {}
        if strategy.get('type') == 'OnDelete':
            return True
        partition = (strategy.get('rollingUpdate') or {}).get('partition', 0)
        return all(p.template_hash == current for p in pods if p.ordinal >= partition)
    return all(p.template_hash == current for p in pods)
