#!/usr/bin/env python3
"""The one entry point for peer timings (scikit-learn, pandas, LightGBM, shap): prints JSON.

Usage:
  peers.py --list              every task: the script that runs it, its arguments, what it times
  peers.py --versions          Python and the peer packages' versions
  peers.py TASK ARGS...        run one task, print its JSON plus "task" and "peak_rss_kib"

Each task lives in a per-crate script, scripts/peers_<crate>.py, run in a subprocess so that
its peak resident memory can be read (getrusage of the child, KiB on Linux). Tasks built in:

  csv_read FILE.csv                       pandas.read_csv (timed in this module)
  scale FILE.csv | pca FILE.csv | prep FILE.csv               -> peers_prep.py
  kmeans FILE.csv K|A..B N_INIT SEED lloyd|elkan|minibatch   -> peers_kmeans.py
         [--dtype float32] [--columns a,b,c] [--scale standard] [--batch-size N]

Any other scripts/peers_<name>.py is a task called <name>: its arguments are passed through
unchanged (the per-crate helpers document theirs in the script's docstring). Scripts time the
algorithm alone (the CSV is read first, untimed) and print one JSON object with `seconds`
(or several `*_seconds`), like cartera's `--json` output, so ratios compare the same work.
"""
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# Task name -> (script, the script's own first argument or None, what is timed).
BUILT_IN = {
    "scale": ("peers_prep.py", "scale", "StandardScaler().fit_transform on x0..x41 (float64)"),
    "pca": ("peers_prep.py", "pca", "PCA(n_components=10).fit_transform on x0..x41"),
    "prep": ("peers_prep.py", "prep", "pandas + scikit-learn prep of the generated telco table"),
    "kmeans": (
        "peers_kmeans.py",
        None,
        "KMeans(n_clusters=K, n_init, random_state).fit, MiniBatchKMeans, or a loop over k = A..B",
    ),
}


def tasks():
    """Every task: the built-in ones, csv_read, and one per other scripts/peers_<name>.py."""
    out = {"csv_read": {"script": "peers.py", "times": "pandas.read_csv(FILE)"}}
    for name, (script, first, what) in BUILT_IN.items():
        out[name] = {"script": script, "first_argument": first, "times": what}
    claimed = {script for script, _, _ in BUILT_IN.values()}
    for f in sorted(os.listdir(HERE)):
        if f.startswith("peers_") and f.endswith(".py") and f not in claimed:
            name = f[len("peers_"):-len(".py")]
            doc = first_doc_line(os.path.join(HERE, f))
            out.setdefault(name, {"script": f, "first_argument": None, "times": doc})
    return out


def first_doc_line(path):
    """The first line of a script's docstring, without importing it (imports are slow)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                s = line.strip().strip('"').strip("'").strip()
                if s and not s.startswith("#") and not s.startswith("import"):
                    return s
    except OSError:
        pass
    return ""


def versions():
    out = {"python": sys.version.split()[0]}
    for mod in ("numpy", "pandas", "sklearn", "lightgbm", "shap", "statsmodels", "scipy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            out[mod] = None
    return out


def csv_read(path):
    import pandas as pd

    t = time.perf_counter()
    df = pd.read_csv(path)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "rows": int(df.shape[0]),
        "columns": int(df.shape[1]),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def run_script(script, args):
    """Runs a peer script, returns its JSON object with the child's peak RSS added."""
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, script), *args],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"peers.py: {script} {' '.join(args)} failed ({proc.returncode})")
    lines = [l for l in proc.stdout.splitlines() if l.strip().startswith("{")]
    if not lines:
        raise SystemExit(f"peers.py: {script} printed no JSON object")
    out = json.loads(lines[-1])
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: this process runs one child.
    out.setdefault("peak_rss_kib", resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return out


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        print(json.dumps(tasks(), indent=2))
        return 0
    if argv[0] == "--versions":
        print(json.dumps(versions()))
        return 0
    task, args = argv[0], argv[1:]
    if task == "csv_read":
        if len(args) != 1:
            raise SystemExit("usage: peers.py csv_read FILE.csv")
        out = csv_read(args[0])
    else:
        known = tasks()
        if task not in known:
            raise SystemExit(f"peers.py: unknown task {task!r}; known: {', '.join(sorted(known))}")
        entry = known[task]
        first = [entry["first_argument"]] if entry.get("first_argument") else []
        out = run_script(entry["script"], first + args)
    out["task"] = task
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
