"""Starts one container process the way a container runtime would, then execs its command.

Run as `python -S container.py SPEC.json[:FD]` by the kubelet (as root, in the runner's node
network namespace). It enters the pod's network namespace and makes a private mount namespace whose
root is an overlay: the machine's root filesystem read-through below, a tmpfs above, so writes
vanish with the container and nothing lands on the machine's disk. Into that root it writes the
pod's /etc/hosts, /etc/resolv.conf and /etc/hostname, bind-mounts the pod's volumes at their
mount paths, makes the root read-only if asked, chroots, drops to the container's user and
execs; FD, close-on-exec, tells the kubelet when the exec happened. `--join JSON` instead
enters the namespaces and root of a running container (exec probes, preStop hooks), as `kubectl exec` would.

Only the standard library: it must start fast, once per container and per exec probe.
"""

import ctypes
import json
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

_libc = ctypes.CDLL(None, use_errno=True)
# Mounted into every root as they are: what a runtime gives each container.
SYSTEM_MOUNTS = ('/proc', '/sys', '/dev')


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f'{what}: {os.strerror(err)}')


def setns(path, nstype):
    fd = os.open(path, os.O_RDONLY)
    try:
        _check(_libc.setns(fd, nstype), f'setns {path}')
    finally:
        os.close(fd)


def mount(source, target, fstype=None, flags=0, data=None):
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f'mount {source} on {target}')


def host_mounts(skip_under):
    """Mount points of the machine besides / and the system ones, outermost first, with their
    filesystem type: they are not part of the overlay's lower layer."""
    points = {}
    with open('/proc/self/mountinfo') as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode('unicode_escape')
            fstype = fields[fields.index('-') + 1]
            if point == '/' or fstype == 'nsfs':
                continue
            if any(point == p or point.startswith(p + '/') for p in SYSTEM_MOUNTS + skip_under):
                continue
            points[point] = fstype
    outer = []
    for p in sorted(points):
        if not any(p.startswith(o + '/') for o, _ in outer):
            outer.append((p, points[p]))
    return outer


def make_root(spec):
    """The container's root: overlay (machine root below, tmpfs above) with its /etc files.

    The machine's other filesystems appear as a container's would not let them be changed:
    tmpfs ones (a /tmp, a /run) as fresh empty ones of the container's own, the rest read-only;
    /dev/shm is the container's own, /sys read-only.
    """
    layer = spec['layer']
    mount('tmpfs', layer, 'tmpfs', 0, 'mode=0755')
    upper, work, root = (os.path.join(layer, d) for d in ('upper', 'work', 'root'))
    for d in (upper, work, root):
        os.mkdir(d)
    mount('overlay', root, 'overlay', 0, f'lowerdir=/,upperdir={upper},workdir={work}')
    inside = lambda p: os.path.join(root, p.lstrip('/'))  # noqa: E731
    # The "image" is this machine, whose Python lives under /root (pyenv); a real image keeps it
    # in /usr/local, reachable by any UID. Traversable (not listable) in this container only.
    if os.path.isdir(inside('/root')):
        os.chmod(inside('/root'), os.stat(inside('/root')).st_mode | 0o111)
    for point in SYSTEM_MOUNTS:
        mount(point, inside(point), None, MS_BIND | MS_REC)
    mount(None, inside('/sys'), None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    mount('tmpfs', inside('/dev/shm'), 'tmpfs', 0, 'mode=1777,size=64m')
    fresh_tmpfs = []
    for point, fstype in host_mounts((layer,)):
        if not os.path.isdir(inside(point)):
            continue
        if fstype == 'tmpfs':
            fresh_tmpfs.append(point)
            mount('tmpfs', inside(point), 'tmpfs', 0, 'mode=1777')
        else:
            mount(point, inside(point), None, MS_BIND | MS_REC)
            mount(None, inside(point), None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    for name, text in spec['etc'].items():
        with open(os.path.join(root, 'etc', name), 'w') as f:
            f.write(text)
    for m in spec['mounts']:
        bind_volume(root, m)
    keep_image_dirs(root, [m['target'] for m in spec['mounts']] + fresh_tmpfs)
    if spec['readOnlyRoot']:
        mount(None, root, None, MS_REMOUNT | MS_BIND | MS_RDONLY)
    return root


# This machine is the containers' image, and the project (fixtures, the tools' virtualenvs) is
# part of it, readable by any UID as an image's files are. Two things can hide it: a volume or
# fresh tmpfs over the directory it lives in (a clone under /tmp, an emptyDir at /tmp), and a
# directory on its path that others cannot enter (mktemp -d makes 0700 ones).
IMAGE_DIRS = [os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))]


def keep_image_dirs(root, covering):
    for keep in IMAGE_DIRS:
        target = os.path.join(root, keep.lstrip('/'))
        # Each directory on the way gets o+x (o+rx for the project) in this container only: on
        # the overlay that is a copy-up, in a covering volume a directory of the volume's own.
        path = root
        for part in keep.strip('/').split('/'):
            path = os.path.join(path, part)
            try:
                os.makedirs(path, exist_ok=True)
                mode = os.stat(path).st_mode
                want = mode | 0o001 | (0o004 if path == target else 0)
                if want != mode:
                    os.chmod(path, want)
            except OSError:
                pass  # a read-only mount on the way: left as the machine has it
        if any(keep == c or keep.startswith(c.rstrip('/') + '/') for c in covering):
            # Bound entry by entry, so the directory itself stays the container's traversable one.
            for name in os.listdir(keep):
                source, inner = os.path.join(keep, name), os.path.join(target, name)
                if os.path.islink(source):
                    if not os.path.lexists(inner):
                        os.symlink(os.readlink(source), inner)
                    continue
                if os.path.isdir(source):
                    os.makedirs(inner, exist_ok=True)
                elif not os.path.lexists(inner):
                    open(inner, 'a').close()
                mount(source, inner, None, MS_BIND | MS_REC)
                mount(None, inner, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def bind_volume(root, m):
    source = os.path.join(m['source'], m['subPath']) if m.get('subPath') else m['source']
    if m.get('subPath') and not os.path.exists(source):
        os.makedirs(source)
    target = os.path.join(root, m['target'].lstrip('/'))
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not os.path.exists(target):
            open(target, 'a').close()
    mount(source, target, None, MS_BIND | MS_REC)
    if m.get('readOnly'):
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY)


def find_executable(name, env):
    if '/' in name:
        return name
    for d in env.get('PATH', '').split(os.pathsep):
        path = os.path.join(d or '.', name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(f'exec: "{name}": executable file not found in $PATH')


def become(spec):
    os.setgroups(spec['groups'])
    os.setgid(spec['gid'])
    os.setuid(spec['uid'])


def enter_container(pid):
    """setns into a running container's network, UTS and mount namespaces, and chroot to its root."""
    root_fd = os.open(f'/proc/{pid}/root', os.O_RDONLY | os.O_DIRECTORY)
    setns(f'/proc/{pid}/ns/net', CLONE_NEWNET)
    setns(f'/proc/{pid}/ns/uts', CLONE_NEWUTS)
    setns(f'/proc/{pid}/ns/mnt', CLONE_NEWNS)
    os.fchdir(root_fd)
    os.chroot('.')
    os.close(root_fd)


def join_cgroup(path):
    """Account this process (and what it execs) to the container's CPU cgroup, if it has one."""
    if path:
        with open(os.path.join(path, 'cgroup.procs'), 'w') as f:
            f.write(str(os.getpid()))


def run(spec):
    join_cgroup(spec.get('cgroup'))
    if 'join' in spec:
        enter_container(spec['join'])
    else:
        setns(spec['netns'], CLONE_NEWNET)
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), 'unshare')
        mount(None, '/', None, MS_REC | MS_PRIVATE)
        name = spec['etc']['hostname'].strip().encode()
        _check(_libc.sethostname(name, len(name)), 'sethostname')
        root = make_root(spec)
        os.chroot(root)
    os.chdir(spec['cwd'])
    env = spec['env']
    path = find_executable(spec['argv'][0], env)
    become(spec)
    os.execve(path, spec['argv'], env)


def main(arg):
    """`container.py SPEC.json[:FD]`: FD is the start pipe, closed by the exec (or the exit)."""
    spec_path, _, started = arg.rpartition(':')
    if started.isdigit():
        os.set_inheritable(int(started), False)
    else:
        spec_path = arg
    with open(spec_path) as f:
        spec = json.load(f)
    # Opened before the chroot: where a failure to start is reported (the kubelet's StartError).
    err_fd = os.open(spec['startError'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        run(spec)
    except Exception as e:  # noqa: BLE001 - every failure to start is reported the same way
        message = str(e) if isinstance(e, FileNotFoundError) and e.args and \
            isinstance(e.args[0], str) else f'{type(e).__name__}: {e}'
        os.write(err_fd, message.encode())
        print(f'pod-runner: cannot start container: {message}', file=sys.stderr, flush=True)
        os._exit(128)


def join(spec):
    """`container.py --join JSON`: run a command in a running container; errors to stderr."""
    try:
        run(spec)
    except Exception as e:  # noqa: BLE001
        print(f'pod-runner: exec failed: {e}', file=sys.stderr, flush=True)
        os._exit(126)


if __name__ == '__main__':
    if sys.argv[1] == '--join':
        join(json.loads(sys.argv[2]))
    else:
        main(sys.argv[1])
