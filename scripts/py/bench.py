"""The body of scripts/bench: times each Flow shape and size (see that script for the knobs,
which arrive as environment variables) and prints one Markdown table."""

import os
import shutil
import statistics
import subprocess
import sys
import time

root, work = os.environ["ROOT"], os.environ["WORK"]
runs = int(os.environ["RUNS"])
sizes = [int(s) for s in os.environ["SIZES"].split()]
shapes = os.environ["SHAPES"].split()
jina_venv = os.environ["JINA_VENV"]
jina_max = int(os.environ["JINA_MAX_SIZE"])
jina_runs = int(os.environ["JINA_RUNS"])
if jina_venv and jina_max not in sizes:
    sizes = sorted(set(sizes) | {jina_max})
flowhelm = os.path.join(root, "target/release/flowhelm")
gen = os.path.join(root, "target/release/examples/gen-flow")
helms = {
    "helm3": os.path.join(root, ".tools/bin/helm3"),
    "helm4": os.path.join(root, ".tools/bin/helm4"),
}
helm_env = dict(
    os.environ,
    HELM_CONFIG_HOME=f"{work}/helm/config",
    HELM_CACHE_HOME=f"{work}/helm/cache",
    HELM_DATA_HOME=f"{work}/helm/data",
)
helm_env.pop("KUBECONFIG", None)


def run(cmd, env=None, out=subprocess.DEVNULL):
    """Wall seconds and peak RSS (MiB) of one run; fails loudly on a non-zero exit."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024


def measure(cmd, n, env=None):
    run(cmd, env)  # warm the page cache
    results = [run(cmd, env) for _ in range(n)]
    walls = sorted(r[0] for r in results)
    rss = max(r[1] for r in results)
    return statistics.median(walls), walls[0], walls[-1], rss


def ms(m):
    med, lo, hi = m[:3]
    return f"{med * 1000:.1f} ({lo * 1000:.1f}–{hi * 1000:.1f})"


def secs(m):
    med, lo, hi = m[:3]
    return f"{med:.2f} ({lo:.2f}–{hi:.2f})"


header = ["shape", "executors", "objects", "flowhelm chart ms", "peak RSS MiB"]
for h in helms:
    header += [f"{h} template ms", f"{h} static ms", f"{h} ratio"]
if jina_venv:
    header += ["jina export s", "jina / flowhelm"]
print("| " + " | ".join(header) + " |")
print("|" + "---|" * len(header))
sys.stdout.flush()
for shape in shapes:
    for size in sizes:
        flow = f"{work}/{shape}-{size}.yml"
        subprocess.run([gen, "--shape", shape, "--size", str(size), "-o", flow], check=True)
        chart = f"{work}/{shape}-{size}"
        fh = measure([flowhelm, "chart", flow, "-o", chart, "--force"], runs)
        static = f"{work}/{shape}-{size}-static"
        shutil.rmtree(static, ignore_errors=True)
        os.makedirs(f"{static}/templates")
        shutil.copy(f"{chart}/Chart.yaml", f"{static}/Chart.yaml")
        with open(f"{static}/templates/manifests.yaml", "wb") as f:
            subprocess.run(
                [helms["helm4"], "template", "bench", chart], stdout=f, check=True, env=helm_env
            )
        with open(f"{static}/templates/manifests.yaml", "rb") as f:
            objects = sum(1 for line in f if line.startswith(b"kind: "))
        row = [shape, str(size), str(objects), ms(fh), f"{fh[3]:.1f}"]
        for binary in helms.values():
            gen_t = measure([binary, "template", "bench", chart], runs, helm_env)
            static_t = measure([binary, "template", "bench", static], runs, helm_env)
            row += [ms(gen_t), ms(static_t), f"{gen_t[0] / static_t[0]:.2f}"]
        if jina_venv:
            if size <= jina_max:
                out = f"{work}/{shape}-{size}-jina"
                env = {
                    "PATH": f"{jina_venv}/bin:/usr/bin:/bin",
                    "HOME": f"{work}/jina-home",
                    "JINA_GATEWAY_IMAGE": "jinaai/jina:3.34.0-py311-standard",
                    "HTTP_PROXY": "http://127.0.0.1:9",
                    "HTTPS_PROXY": "http://127.0.0.1:9",
                    "COLUMNS": "200",
                }
                shutil.rmtree(out, ignore_errors=True)
                cmd = [
                    f"{jina_venv}/bin/jina",
                    "export",
                    "kubernetes",
                    flow,
                    out,
                    "--k8s-namespace",
                    "demo",
                ]
                jt = measure(["sh", "-c", 'rm -rf "$0" && exec "$@"', out] + cmd, jina_runs, env)
                row += [secs(jt), f"{jt[0] / fh[0]:.0f}×"]
            else:
                row += ["–", "–"]
        print("| " + " | ".join(row) + " |")
        sys.stdout.flush()
