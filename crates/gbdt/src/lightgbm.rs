//! LightGBM text model import (`Booster.save_model`).
