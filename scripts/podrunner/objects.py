"""What the API server and the controllers would make of `helm template` output.

Pure functions over plain dicts: loading manifests, Secrets and the image map, expanding
Deployments and StatefulSets into pods (names, labels, claims), and building each container's
environment and command line as the kubelet does. Nothing here touches the system.
"""

import base64
import copy
import fnmatch
import hashlib
import json
import os
import re
import secrets

import yaml

# Kinds the runner acts on; anything else in the manifests is kept (status lists it) but inert.
WORKLOAD_KINDS = ('Deployment', 'StatefulSet')
HOOK_ANNOTATION = 'helm.sh/hook'
TEST_HOOKS = ('test', 'test-success')

# k8s.io/apimachinery/pkg/util/validation: the rules names and labels are held to.
DNS1123_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
DNS1123_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')
LABEL_VALUE = re.compile(r'^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$')
# validation.IsEnvVarName, which the kubelet applies to envFrom keys (invalid ones are skipped).
# Kubernetes 1.32 and later relax it (RelaxedEnvironmentVariableValidation: any printable ASCII
# but `=`); the runner keeps the strict rule of the oldest release the charts support (1.29).
ENV_NAME = re.compile(r'^[-._a-zA-Z][-._a-zA-Z0-9]*$')
# The alphabet of rand.SafeEncodeString (pod-template-hash, generated name suffixes).
SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'
# names.SimpleNameGenerator: generateName is cut to 63 - 5 before the random suffix.
MAX_GENERATED_BASE = 58


class ManifestError(Exception):
    """An object the API server would reject, or that the runner cannot run."""


class ConfigError(Exception):
    """What the kubelet reports as CreateContainerConfigError."""


def load_documents(path, default_namespace):
    """Every object of a multi-document YAML file, `List` kinds flattened, namespaces defaulted."""
    with open(path, encoding='utf-8') as f:
        try:
            docs = list(yaml.safe_load_all(f))
        except yaml.YAMLError as e:
            raise ManifestError(f'{path}: not YAML: {e}') from e
    out = []
    for doc in docs:
        if doc is None:
            continue
        if not isinstance(doc, dict) or 'kind' not in doc:
            raise ManifestError(f'{path}: a document is not a Kubernetes object: {str(doc)[:80]}')
        items = doc.get('items', []) if doc['kind'].endswith('List') else [doc]
        for obj in items:
            meta = obj.setdefault('metadata', {})
            if not meta.get('name'):
                raise ManifestError(f'{path}: a {obj.get("kind")} has no metadata.name')
            meta.setdefault('namespace', default_namespace)
            out.append(obj)
    return out


def index_objects(objects):
    """(kind, namespace, name) → object; a repeated object is an error, as `kubectl create` says."""
    out = {}
    for obj in objects:
        key = (obj['kind'], obj['metadata']['namespace'], obj['metadata']['name'])
        if key in out:
            raise ManifestError('%s %s/%s is defined twice' % key)
        out[key] = obj
    return out


def secret_data(obj):
    """A Secret's keys as text: `data` is base64, `stringData` wins, as the API server merges them."""
    data = {}
    for k, v in (obj.get('data') or {}).items():
        data[k] = base64.b64decode(v or '').decode('utf-8', 'surrogateescape')
    for k, v in (obj.get('stringData') or {}).items():
        data[k] = str(v)
    return data


def is_hook(obj):
    return HOOK_ANNOTATION in (obj['metadata'].get('annotations') or {})


def is_test_hook(obj):
    hooks = (obj['metadata'].get('annotations') or {}).get(HOOK_ANNOTATION, '')
    return any(h.strip() in TEST_HOOKS for h in hooks.split(','))


# --- images ---------------------------------------------------------------------------------

def load_image_map(path):
    """The image map: a list of {match, path, workdir, env, entrypoint, user}, first match wins.

    Relative paths are relative to the map file, so a map can live next to what it points at.
    """
    with open(path, encoding='utf-8') as f:
        doc = yaml.safe_load(f) or {}
    base = os.path.dirname(os.path.abspath(path))
    entries = []
    for i, e in enumerate(doc.get('images') or []):
        if 'match' not in e:
            raise ManifestError(f'{path}: images[{i}] has no `match`')
        entries.append({
            'match': str(e['match']),
            'path': [os.path.normpath(os.path.join(base, p)) for p in e.get('path') or []],
            'workdir': os.path.normpath(os.path.join(base, e.get('workdir') or '.')),
            'env': {str(k): str(v) for k, v in (e.get('env') or {}).items()},
            'entrypoint': [str(a) for a in e.get('entrypoint') or []],
            'user': int(e.get('user', 0)),
            'group': int(e.get('group', 0)),
        })
    return entries


def resolve_image(image_map, ref):
    for e in image_map:
        if fnmatch.fnmatchcase(ref, e['match']):
            return e
    return None


# --- workloads → pods -----------------------------------------------------------------------

def safe_encode(digest, n):
    return ''.join(SAFE_ALPHABET[b % len(SAFE_ALPHABET)] for b in digest[:n])


def template_hash(template):
    """A stand-in for pod-template-hash: stable for equal templates, different otherwise."""
    blob = json.dumps(template, sort_keys=True, separators=(',', ':')).encode()
    return safe_encode(hashlib.sha256(blob).digest(), 10)


def generated_name(base):
    """names.SimpleNameGenerator: `base` cut to 58 characters plus 5 random ones."""
    return base[:MAX_GENERATED_BASE] + ''.join(secrets.choice(SAFE_ALPHABET) for _ in range(5))


def selector_matches(selector, labels):
    """A LabelSelector (matchLabels and matchExpressions) against a label set."""
    if selector is None:
        return False
    for k, v in (selector.get('matchLabels') or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get('matchExpressions') or []:
        key, op, values = expr['key'], expr['operator'], expr.get('values') or []
        ok = {
            'In': key in labels and labels[key] in values,
            'NotIn': key not in labels or labels[key] not in values,
            'Exists': key in labels,
            'DoesNotExist': key not in labels,
        }.get(op)
        if not ok:
            return False
    return True


def check_workload(obj):
    """The API server's checks on a workload that the schemas cannot express."""
    kind, meta, spec = obj['kind'], obj['metadata'], obj.get('spec') or {}
    where = f'{kind} {meta["namespace"]}/{meta["name"]}'
    if not DNS1123_SUBDOMAIN.match(meta['name']) or len(meta['name']) > 253:
        raise ManifestError(f'{where}: name is not a DNS-1123 subdomain')
    labels = (spec.get('template') or {}).get('metadata', {}).get('labels') or {}
    selector = spec.get('selector')
    if not selector or not (selector.get('matchLabels') or selector.get('matchExpressions')):
        raise ManifestError(f'{where}: spec.selector is empty')
    if not selector_matches(selector, labels):
        raise ManifestError(f'{where}: `selector` does not match template `labels`')
    for k, v in labels.items():
        if not LABEL_VALUE.match(str(v)) or len(str(v)) > 63:
            raise ManifestError(f'{where}: template label {k}={v!r} is not a valid label value')
    if kind == 'StatefulSet':
        # The controller labels each pod controller-revision-hash=<name>-<hash of 10>, a label
        # value (≤63): longer names get no pods at all (kubernetes#64023).
        revision = f'{meta["name"]}-{"x" * 10}'
        if len(revision) > 63:
            raise ManifestError(
                f'{where}: name is {len(meta["name"])} characters; the controller-revision-hash '
                f'label "<name>-<10 characters>" would be {len(revision)} (> 63), so the '
                'StatefulSet controller creates no pods (kubernetes#64023)')
        if not DNS1123_LABEL.match(meta['name']) or len(meta['name']) > 63:
            raise ManifestError(f'{where}: pod names <name>-<ordinal> would not be DNS labels')


# Pod fields the runner cannot honour; a pod using them is refused rather than run otherwise.
UNSUPPORTED_POD_FIELDS = ('hostNetwork', 'hostPID', 'hostIPC', 'hostUsers', 'shareProcessNamespace')


def check_pod_spec(spec, where):
    for field in UNSUPPORTED_POD_FIELDS:
        if spec.get(field):
            raise ManifestError(f'{where}: `{field}` is set; the pod runner does not run pods in '
                                "the machine's namespaces")
    names = [c.get('name') for c in (spec.get('initContainers') or []) + (spec.get('containers') or [])]
    if not spec.get('containers'):
        raise ManifestError(f'{where}: the pod has no containers')
    if len(set(names)) != len(names):
        raise ManifestError(f'{where}: container names repeat: {names}')


def desired_pods(obj):
    """The pods a workload wants now: a list of {name, labels, annotations, spec, owner, ...}.

    StatefulSet pods are <name>-<ordinal> with one claim per template and pod; Deployment pods
    are named later (<name>-<template hash>-<random>) since only their count is fixed here.
    """
    check_workload(obj)
    kind, meta, spec = obj['kind'], obj['metadata'], obj['spec']
    check_pod_spec(spec['template'].get('spec') or {}, f'{kind} {meta["namespace"]}/{meta["name"]}')
    replicas = 1 if spec.get('replicas') is None else int(spec['replicas'])
    template = copy.deepcopy(spec['template'])
    thash = template_hash(template)
    tmeta = template.get('metadata') or {}
    out = []
    for ordinal in range(replicas):
        labels = dict(tmeta.get('labels') or {})
        pod = {
            'namespace': meta['namespace'],
            'labels': labels,
            'annotations': dict(tmeta.get('annotations') or {}),
            'spec': copy.deepcopy(template['spec']),
            'owner': {'kind': kind, 'name': meta['name']},
            'templateHash': thash,
        }
        if kind == 'StatefulSet':
            name = f'{meta["name"]}-{ordinal}'
            labels['controller-revision-hash'] = f'{meta["name"]}-{thash}'
            labels['statefulset.kubernetes.io/pod-name'] = name
            labels['apps.kubernetes.io/pod-index'] = str(ordinal)
            pod.update(name=name, ordinal=ordinal, hostname=name, dnsHostname=name,
                       subdomain=spec.get('serviceName', ''))
            pod['claims'] = {
                t['metadata']['name']: f'{t["metadata"]["name"]}-{name}'
                for t in spec.get('volumeClaimTemplates') or []
            }
        else:
            labels['pod-template-hash'] = thash
            pod.update(name=None, ordinal=ordinal, generateName=f'{meta["name"]}-{thash}-',
                       claims={})
        out.append(pod)
    return out


def bare_pod(obj):
    meta = obj['metadata']
    return {
        'name': meta['name'], 'namespace': meta['namespace'],
        'labels': dict(meta.get('labels') or {}), 'annotations': dict(meta.get('annotations') or {}),
        'spec': copy.deepcopy(obj.get('spec') or {}), 'owner': {'kind': 'Pod', 'name': meta['name']},
        'templateHash': template_hash(obj.get('spec') or {}), 'ordinal': 0, 'claims': {},
        'hostname': obj.get('spec', {}).get('hostname', meta['name']),
        'dnsHostname': obj.get('spec', {}).get('hostname', ''),
        'subdomain': obj.get('spec', {}).get('subdomain', ''),
    }


# --- container environment ------------------------------------------------------------------

_EXPAND = re.compile(r'\$\$|\$\(([^()]*)\)')


def expand(text, env):
    """Kubernetes' $(VAR) expansion: defined names are replaced, `$$` is a literal `$`,
    undefined references stay as written (third_party/forked/golang/expansion)."""
    def sub(m):
        if m.group(0) == '$$':
            return '$'
        name = m.group(1)
        return env[name] if name in env else m.group(0)
    return _EXPAND.sub(sub, str(text))


def field_ref(pod, path):
    """The downward API's fieldRef paths."""
    simple = {
        'metadata.name': pod['name'], 'metadata.namespace': pod['namespace'],
        'metadata.uid': pod['uid'], 'spec.nodeName': 'pod-runner',
        'spec.serviceAccountName': pod['spec'].get('serviceAccountName', 'default'),
        'status.podIP': pod['ip'], 'status.podIPs': pod['ip'], 'status.hostIP': '10.244.0.1',
        'status.hostIPs': '10.244.0.1',
    }
    if path in simple:
        return simple[path]
    m = re.match(r"^metadata\.(labels|annotations)\['(.+)'\]$", path)
    if m:
        return pod[m.group(1)].get(m.group(2), '')
    raise ConfigError(f'unsupported fieldRef {path!r}')


_QUANTITY = re.compile(r'^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$')
# Multipliers in thousandths, so that `100m` and a `1m` divisor stay exact integers.
_MILLI = {'m': 1, None: 1000, 'k': 10 ** 6, 'M': 10 ** 9, 'G': 10 ** 12, 'T': 10 ** 15,
          'P': 10 ** 18, 'E': 10 ** 21, 'Ki': 1024 * 1000, 'Mi': 1024 ** 2 * 1000,
          'Gi': 1024 ** 3 * 1000, 'Ti': 1024 ** 4 * 1000, 'Pi': 1024 ** 5 * 1000,
          'Ei': 1024 ** 6 * 1000}


def milli(q):
    """A Kubernetes quantity in thousandths of its unit (an integer)."""
    m = _QUANTITY.match(str(q))
    if not m:
        raise ConfigError(f'unsupported quantity {q!r}')
    whole, _, frac = m.group(1).partition('.')
    scale = _MILLI[m.group(2)]
    return int(whole) * scale + (int(frac) * scale) // (10 ** len(frac)) if frac else \
        int(whole) * scale


def node_allocatable(resource):
    """What the one node offers, the value of an unset limit (as the kubelet reports it)."""
    if resource == 'cpu':
        return os.cpu_count() * 1000
    with open('/proc/meminfo') as f:
        kib = int(next(line for line in f if line.startswith('MemTotal:')).split()[1])
    return kib * 1024 * 1000


def resource_ref(container, ref):
    """resourceFieldRef: the limit (or request; requests default to limits, limits to what the
    node has) divided by the divisor, rounded up (pkg/api/v1/resource/helpers.go)."""
    section, _, res = ref['resource'].partition('.')
    resources = container.get('resources') or {}
    limits, requests = resources.get('limits') or {}, resources.get('requests') or {}
    if section == 'limits':
        value = milli(limits[res]) if res in limits else node_allocatable(res)
    else:
        value = milli(requests.get(res, limits.get(res, 0)))
    divisor = milli(ref.get('divisor', '1'))
    return str(-(-value // divisor))


def service_link_env(services):
    """Docker-link style variables for every Service of the pod's namespace with a cluster IP,
    which the kubelet injects unless `enableServiceLinks: false`."""
    env = {}
    for svc in sorted(services, key=lambda s: s['name']):
        if not svc.get('clusterIP') or svc['clusterIP'] == 'None' or not svc['ports']:
            continue
        prefix = svc['name'].upper().replace('-', '_')
        first = svc['ports'][0]
        env[f'{prefix}_SERVICE_HOST'] = svc['clusterIP']
        env[f'{prefix}_SERVICE_PORT'] = str(first['port'])
        for p in svc['ports']:
            if p.get('name'):
                env[f'{prefix}_SERVICE_PORT_{p["name"].upper().replace("-", "_")}'] = str(p['port'])
        env[f'{prefix}_PORT'] = f'tcp://{svc["clusterIP"]}:{first["port"]}'
        for p in svc['ports']:
            base = f'{prefix}_PORT_{p["port"]}_TCP'
            env[base] = f'tcp://{svc["clusterIP"]}:{p["port"]}'
            env[f'{base}_PROTO'] = 'tcp'
            env[f'{base}_PORT'] = str(p['port'])
            env[f'{base}_ADDR'] = svc['clusterIP']
    return env


def container_env(pod, container, image, lookup, services):
    """The environment a container starts with, and its command line.

    As the kubelet builds it (pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables): service
    links, then envFrom, then env, each `env` value expanded against the variables defined so
    far and the service links; command and args are expanded against the result. The image's
    variables (PATH, ...) and HOSTNAME are the runtime's: under the container's, and not used
    for expansion. `lookup(kind, namespace, name)` returns a ConfigMap's or Secret's data, or
    None; a missing reference raises ConfigError with the kubelet's wording.
    """
    kube = service_link_env(services) if pod['spec'].get('enableServiceLinks', True) else {}
    ns = pod['namespace']
    for src in container.get('envFrom') or []:
        kind, ref = ('ConfigMap', src['configMapRef']) if 'configMapRef' in src else \
            ('Secret', src['secretRef'])
        data = lookup(kind, ns, ref['name'])
        if data is None:
            if ref.get('optional'):
                continue
            raise ConfigError(f'{kind.lower()} "{ref["name"]}" not found')
        for k, v in data.items():
            key = src.get('prefix', '') + k
            if ENV_NAME.match(key):
                kube[key] = v
    for var in container.get('env') or []:
        value = env_value(pod, container, var, kube, lookup)
        if value is not None:
            kube[var['name']] = value
    argv = command_line(container, image, kube)
    env = dict(image['env'])
    env.setdefault('PATH', os.pathsep.join(image['path'] + ['/usr/local/bin', '/usr/bin', '/bin']))
    env['HOSTNAME'] = pod['hostname']
    env.update(kube)
    return env, argv


def env_value(pod, container, var, env, lookup):
    """One `env` entry's value; None when an optional reference is missing (left unset)."""
    if 'valueFrom' not in var:
        return expand(var.get('value', ''), env)
    src = var['valueFrom']
    if 'fieldRef' in src:
        return field_ref(pod, src['fieldRef']['fieldPath'])
    if 'resourceFieldRef' in src:
        return resource_ref(container, src['resourceFieldRef'])
    kind, ref = ('ConfigMap', src['configMapKeyRef']) if 'configMapKeyRef' in src else \
        ('Secret', src['secretKeyRef'])
    data = lookup(kind, pod['namespace'], ref['name'])
    if data is None:
        if ref.get('optional'):
            return None
        raise ConfigError(f'{kind.lower()} "{ref["name"]}" not found')
    if ref['key'] not in data:
        if ref.get('optional'):
            return None
        raise ConfigError(
            f'couldn\'t find key {ref["key"]} in {kind} {pod["namespace"]}/{ref["name"]}')
    return data[ref['key']]


def command_line(container, image, env):
    """command + args with $(VAR) expanded; the image's entrypoint (as is) when `command` is
    empty, as runtimes do."""
    args = [expand(a, env) for a in container.get('args') or []]
    command = [expand(a, env) for a in container['command']] if container.get('command') else \
        list(image['entrypoint'])
    argv = command + args
    if not argv:
        raise ConfigError('no command specified')
    return argv


def security(pod_spec, container, image):
    """uid, gid, groups and the root-filesystem flag, pod values under container ones."""
    psc = pod_spec.get('securityContext') or {}
    csc = container.get('securityContext') or {}
    uid = csc.get('runAsUser', psc.get('runAsUser', image['user']))
    gid = csc.get('runAsGroup', psc.get('runAsGroup', image['group']))
    non_root = csc.get('runAsNonRoot', psc.get('runAsNonRoot', False))
    if non_root and uid == 0:
        raise ConfigError('container has runAsNonRoot and image will run as root')
    groups = list(psc.get('supplementalGroups') or [])
    if 'fsGroup' in psc:
        groups.append(psc['fsGroup'])
    return {
        'uid': int(uid), 'gid': int(gid), 'groups': [int(g) for g in groups],
        'fsGroup': psc.get('fsGroup'),
        'readOnlyRoot': bool(csc.get('readOnlyRootFilesystem', False)),
    }


def named_port(containers, port):
    """A probe's, hook's or Service's port: a number, or the name of a port of `containers`."""
    if isinstance(port, int) or str(port).isdigit():
        return int(port)
    for c in containers:
        for p in c.get('ports') or []:
            if p.get('name') == port:
                return int(p['containerPort'])
    return None
