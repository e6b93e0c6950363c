"""Print one trained model's results as JSON (used by bench/tagging_experiments.sh)."""
import json
import sys

from zoo_core.modeling.loading import load_model

store_name, name, architecture, minutes, arguments = sys.argv[1:6]
model = load_model(store_name)
summary = model.training_summary
print(json.dumps({
    "name": name, "architecture": architecture, "budget_minutes": float(minutes),
    "command": f"zoo train {architecture} {arguments} --set training.max_minutes={minutes}",
    "encoder": model.config.encoder.model_dump(mode="json"), "head": model.config.head.model_dump(mode="json"),
    "parameters": model.num_parameters(), "epochs": summary.get("epochs"), "stopped": summary.get("stopped"),
    "seconds": round(summary.get("seconds", 0), 1), "best_metric": summary.get("best_metric"),
    "best_value": summary.get("best_value"), "test": summary.get("test"),
}, indent=2))
