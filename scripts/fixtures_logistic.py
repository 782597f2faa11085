#!/usr/bin/env python3
"""Reference fixtures for cartera's logistic regression: scikit-learn and statsmodels.

Usage: python3 scripts/fixtures_logistic.py [OUT_DIR]   (default tests/fixtures)

Needs scikit-learn 1.9.1 and statsmodels 0.15 (scripts/requirements.txt) and the cartera
binary (`cargo run --release -p cartera-cli -- generate ...`, or set CARTERA=/path/to/cartera)
for the generated tables.

Every case is scikit-learn's LogisticRegression(solver="lbfgs", tol=1e-12, max_iter=100000)
on standardized numeric columns (population std, as StandardScaler), for C in {0.01, 1, 100},
binary and multinomial targets, class_weight None and "balanced". Stored per case: coef_,
intercept_ and the objective value (1/S) sum s_i loss_i + ||w||^2 / (2 C S); and under "newton"
the same for solver="newton-cholesky" (tol=1e-14), which converges quadratically and so gives
the optimum to rounding: scipy's L-BFGS-B (used by lbfgs) also stops when f changes by less than
64 eps relative, which leaves coefficients near zero about 1e-5 relative from the optimum.

Writes:
  * logistic_bank.json: 1,500 rows of the generated bank table (`cartera generate bank --rows
    1500 --seed 11`): age, balance, duration, campaign, pdays, previous standardized and
    rounded to 6 significant digits (the stored matrix is the input). Binary target y (yes = 1);
    multinomial target education (primary, secondary, tertiary, unknown = 0..3).
  * logistic_telco.json: 1,500 rows of the generated telco table (`cartera generate telco
    --rows 1500 --seed 5`), 8 numeric columns standardized and rounded to 6 significant digits.
    Binary target CHURN; multinomial target GAMA_EQUIPO (levels sorted = 0..K-1).
  * logistic_universal_bank.json: data/universal_bank.csv (MIT). The matrix is not stored: the
    Rust test reads the CSV and standardizes the 10 columns listed under "columns". Binary target
    Personal Loan; multinomial target Education - 1. Also holds statsmodels' Logit (no penalty,
    binary) params and standard errors ("statsmodels"), and an unpenalised scikit-learn fit.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
import sklearn
import statsmodels
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CS = [0.01, 1.0, 100.0]


def cartera_generate(kind, rows, seed, path):
    exe = os.environ.get("CARTERA")
    if exe:
        cmd = [exe]
    else:
        cmd = ["cargo", "run", "--quiet", "--release", "-p", "cartera-cli", "--"]
    cmd += ["generate", kind, "--rows", str(rows), "--seed", str(seed), "--out", path]
    subprocess.run(cmd, check=True, cwd=ROOT)


def standardize(x):
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return (x - mean) / std


def round_sig(x, digits=6):
    return np.array([[float(f"{v:.{digits - 1}e}") for v in row] for row in x])


def objective(x, y, coef, intercept, c, sample_weight, penalised=True):
    z = x @ coef.T + intercept
    if coef.shape[0] == 1:
        z = z[:, 0]
        loss = np.logaddexp(0, z) - (y == 1) * z
    else:
        zmax = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - zmax).sum(axis=1)) + zmax[:, 0]
        loss = lse - z[np.arange(len(y)), y]
    s = sample_weight.sum()
    pen = (coef ** 2).sum() / (2 * c * s) if penalised else 0.0
    return float((sample_weight * loss).sum() / s + pen)


def fit_cases(x, targets):
    cases = []
    for target_name, y in targets.items():
        k = int(y.max()) + 1
        for cw in [None, "balanced"]:
            for c in CS:
                m = LogisticRegression(
                    C=c, solver="lbfgs", tol=1e-12, max_iter=100000, class_weight=cw
                ).fit(x, y)
                # The exact optimum of the same objective, for reference: scipy's L-BFGS-B
                # stops on ftol = 64 eps, which leaves small coefficients ~1e-5 relative off.
                newton = LogisticRegression(
                    C=c, solver="newton-cholesky", tol=1e-14, max_iter=1000, class_weight=cw
                ).fit(x, y)
                if cw == "balanced":
                    counts = np.bincount(y)
                    weights = (len(y) / (k * counts))[y]
                else:
                    weights = np.ones(len(y))
                cases.append(
                    {
                        "target": target_name,
                        "c": c,
                        "class_weight": cw or "none",
                        "n_classes": k,
                        "coef": m.coef_.tolist(),
                        "intercept": m.intercept_.tolist(),
                        "n_iter": int(m.n_iter_[0]),
                        "objective": objective(x, y, m.coef_, m.intercept_, c, weights),
                        "newton": {
                            "coef": newton.coef_.tolist(),
                            "intercept": newton.intercept_.tolist(),
                            "objective": objective(
                                x, y, newton.coef_, newton.intercept_, c, weights
                            ),
                        },
                    }
                )
    return cases


def codes(series):
    levels = sorted(series.astype(str).unique())
    return np.array([levels.index(v) for v in series.astype(str)]), levels


def bank(out_dir, tmp):
    path = os.path.join(tmp, "bank.csv")
    cartera_generate("bank", 1500, 11, path)
    df = pd.read_csv(path)
    cols = ["age", "balance", "duration", "campaign", "pdays", "previous"]
    x = round_sig(standardize(df[cols].to_numpy()))
    y = (df["y"] == "yes").astype(int).to_numpy()
    edu = {"primary": 0, "secondary": 1, "tertiary": 2, "unknown": 3}
    y_multi = df["education"].map(edu).to_numpy().astype(int)
    doc = {
        "source": "cartera generate bank --rows 1500 --seed 11",
        "columns": cols,
        "x": x.tolist(),
        "y": {"binary": y.tolist(), "multinomial": y_multi.tolist()},
        "cases": fit_cases(x, {"binary": y, "multinomial": y_multi}),
    }
    write(out_dir, "logistic_bank.json", doc)


def telco(out_dir, tmp):
    path = os.path.join(tmp, "telco.csv")
    cartera_generate("telco", 1500, 5, path)
    df = pd.read_csv(path)
    cols = [
        "NUM_RECARGAS_M1",
        "NUM_RECARGAS_M3",
        "DIAS_DESDE_ULTIMA_RECARGA",
        "ANTIGUEDAD_MESES",
        "NUM_RECLAMOS",
        "NUM_LLAMADAS_SOPORTE",
        "ARPU_PROMEDIO",
        "MB_DATOS",
    ]
    x = round_sig(standardize(df[cols].to_numpy()))
    y = df["CHURN"].astype(int).to_numpy()
    y_multi, levels = codes(df["GAMA_EQUIPO"])
    doc = {
        "source": "cartera generate telco --rows 1500 --seed 5",
        "columns": cols,
        "multinomial_levels": levels,
        "x": x.tolist(),
        "y": {"binary": y.tolist(), "multinomial": y_multi.tolist()},
        "cases": fit_cases(x, {"binary": y, "multinomial": y_multi}),
    }
    write(out_dir, "logistic_telco.json", doc)


def universal_bank(out_dir):
    df = pd.read_csv(os.path.join(ROOT, "data", "universal_bank.csv"))
    cols = [
        "Age",
        "Experience",
        "Income",
        "Family",
        "CCAvg",
        "Mortgage",
        "Securities Account",
        "CD Account",
        "Online",
        "CreditCard",
    ]
    x = standardize(df[cols].to_numpy())
    y = df["Personal Loan"].astype(int).to_numpy()
    y_multi = df["Education"].astype(int).to_numpy() - 1
    # statsmodels Logit: unpenalised maximum likelihood, constant first.
    # Age and Experience are nearly collinear (Experience ~ Age - 25) but not exactly.
    res = sm.Logit(y, sm.add_constant(x)).fit(method="newton", maxiter=200, tol=1e-14, disp=0)
    unpen = LogisticRegression(
        C=np.inf, solver="lbfgs", tol=1e-12, max_iter=100000
    ).fit(x, y)
    doc = {
        "source": "data/universal_bank.csv (MIT)",
        "columns": cols,
        "cases": fit_cases(x, {"binary": y, "multinomial": y_multi}),
        "statsmodels": {
            "params": res.params.tolist(),
            "bse": res.bse.tolist(),
            "pvalues": res.pvalues.tolist(),
            "converged": bool(res.mle_retvals["converged"]),
        },
        "sklearn_unpenalised": {
            "coef": unpen.coef_.tolist(),
            "intercept": unpen.intercept_.tolist(),
        },
    }
    write(out_dir, "logistic_universal_bank.json", doc)


def write(out_dir, name, doc):
    doc["versions"] = {
        "sklearn": sklearn.__version__,
        "statsmodels": statsmodels.__version__,
        "numpy": np.__version__,
    }
    path = os.path.join(out_dir, name)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path) // 1024} KB)")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "fixtures")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        bank(out_dir, tmp)
        telco(out_dir, tmp)
    universal_bank(out_dir)


if __name__ == "__main__":
    main()
