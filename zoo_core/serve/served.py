"""A model loaded for serving: its name in the URLs, what `GET /v1/models` says about it, and which request
options its task takes (the same `run_options` and `abilities` that `zoo run` checks)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zoo_core.errors import ZooError
from zoo_core.serve.limits import RequestError

#: Request options that are flags of `zoo run`, and the ability each needs.
FLAG_ABILITIES = {"explain": "token_weights", "attention": "attention_maps"}


@dataclass
class ServedModel:
    name: str
    model: object  # a loaded ZooModel
    reference: str  # what `zoo serve` was given: a store name or a path

    @property
    def task(self):
        return self.model.task

    @property
    def can_generate(self) -> bool:
        """Language models stream tokens as made; translations are streamed once decoded."""
        return self.task.abilities.generation or self.task.name == "seq2seq"

    @property
    def can_explain(self) -> bool:
        if not self.task.abilities.token_weights:
            return False
        from zoo_core.tasks.explain import require_attention

        try:
            require_attention(self.model)
        except ZooError:
            return False
        return True

    @property
    def can_show_attention(self) -> bool:
        head = self.model.config.head
        return self.task.abilities.attention_maps and getattr(head, "attention", "none") != "none"

    def info(self) -> dict:
        config, vocabs = self.model.config, self.model.vocabs
        summary = getattr(self.model, "training_summary", {}) or {}
        metrics = {}
        if summary.get("best_metric") is not None:
            metrics[summary["best_metric"]] = summary.get("best_value")
        metrics.update({f"test_{key}": value for key, value in (summary.get("test") or {}).items()
                        if isinstance(value, (int, float))})
        return {
            "name": self.name, "architecture": config.architecture, "task": config.task,
            "labels": list(vocabs["labels"].tokens) if "labels" in vocabs else None,
            "metrics": metrics,
            "options": sorted(self.allowed_options()),
            "generate": self.can_generate, "explain": self.can_explain, "attention": self.can_show_attention,
        }

    def allowed_options(self) -> set[str]:
        """The request options this model takes: its task's `zoo run` options, explain and attention where the
        model has the attention to show."""
        options = {option for option in self.task.run_options if option not in FLAG_ABILITIES}
        options |= {flag for flag, able in (("explain", self.can_explain), ("attention", self.can_show_attention))
                    if able}
        return options

    def check_options(self, options: dict) -> None:
        """Refuse, in one line, an option this model does not take (as `zoo run` does)."""
        allowed = self.allowed_options()
        for option in sorted(set(options) - allowed):
            config = self.model.config
            raise RequestError(f"{option}: does not apply to model '{self.name}' (task {config.task}, architecture "
                               f"{config.architecture}); it takes: {', '.join(sorted(allowed)) or 'no options'}", 400)


def served_name(reference: str) -> str:
    """The name a model is served under: its store name; a file's or folder's name without its suffix
    (`.safetensors`, `.onnx`); for ``hf://OWNER/NAME@REV``, NAME."""
    if reference.startswith("hf://"):
        return reference.removeprefix("hf://").split("@")[0].rstrip("/").split("/")[-1]
    name = Path(reference.rstrip("/\\")).name
    for suffix in (".safetensors", ".onnx"):
        name = name.removesuffix(suffix)
    return name


def load_served(references: list[str], device: str = "cpu") -> dict[str, ServedModel]:
    """Each model loaded once, by name, from any reference `zoo run` takes (store name, .safetensors, .onnx,
    exported folder, hf://); the first that fails stops with its one-line error."""
    from zoo_core.export.references import load_reference

    served: dict[str, ServedModel] = {}
    for reference in references:
        name = served_name(reference)
        if name in served:
            raise ZooError(f"two models would be served as '{name}' ({served[name].reference} and {reference}); "
                           "copy one to another name in the store")
        try:
            served[name] = ServedModel(name, load_reference(reference, device=device), reference)
        except ZooError as error:
            raise ZooError(f"cannot serve '{reference}': {error}") from None
    return served
