//! Global explanations: mean |SHAP| per feature and class, per-cluster importance, summary-plot data.
