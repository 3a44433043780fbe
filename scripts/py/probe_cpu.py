"""The measuring half of scripts/bench-probes.

probe_cpu.py sample < PODS.json
    one line per container of the pods (`kubectl get pods -o json`): its component, its name,
    and the CPU nanoseconds its cpuacct cgroup has counted (`None` when no cgroup is found)
probe_cpu.py table BEFORE AFTER WINDOW MODE
    the Markdown rows of the mean CPU cores each container used between two samples
"""

import glob
import json
import sys

CGROUPS = "/sys/fs/cgroup/cpuacct/flowhelm-*/**/{cid}/cpuacct.usage"


def sample():
    for pod in json.load(sys.stdin)["items"]:
        labels = pod["metadata"]["labels"]
        component = labels.get("app.kubernetes.io/component", pod["metadata"]["name"])
        for c in pod["status"].get("containerStatuses", []):
            cid = c.get("containerID", "").split("://")[-1]
            found = glob.glob(CGROUPS.format(cid=cid), recursive=True)
            usage = "None"
            if cid and found:
                with open(found[0]) as f:
                    usage = f.read().strip()
            print(component, c["name"], usage)


def read(path):
    with open(path) as f:
        return {tuple(line.split()[:2]): line.split()[2] for line in f if line.strip()}


def table(before, after, window, mode):
    b, a = read(before), read(after)
    for key in sorted(a):
        if a[key] == "None" or b.get(key, "None") == "None":
            print(f"| {mode} | {key[0]}/{key[1]} | not measured (no cpuacct cgroup found) |")
            continue
        cores = (int(a[key]) - int(b[key])) / 1e9 / float(window)
        print(f"| {mode} | {key[0]}/{key[1]} | {cores:.3f} |")


if __name__ == "__main__":
    {"sample": sample, "table": table}[sys.argv[1]](*sys.argv[2:])
