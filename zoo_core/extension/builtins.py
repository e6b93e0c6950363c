"""The core's own components, registered through the same hooks as any plugin (as pytest does)."""
from zoo_core.config.core_components import (
    ClassifyDataConfig,
    ClassifyHeadConfig,
    GreedySamplerConfig,
    LastPoolerConfig,
)
from zoo_core.extension.hookspecs import hookimpl
from zoo_core.extension.records import Component, Task


@hookimpl
def register_tasks(register):
    register(Task("classify", "zoo_core.tasks.classify:ClassifyTask", "Text classification (e.g. sentiment).",
                  data_config=ClassifyDataConfig))


@hookimpl
def register_components(register):
    register(Component("pooler", "last", LastPoolerConfig, "zoo_core.modeling.components.poolers:LastPooler",
                       "The encoder's state at each sequence's last real token."))
    register(Component("head", "classify", ClassifyHeadConfig, "zoo_core.modeling.components.classify_head:ClassifyHead",
                       "A pooler over time, then a linear layer to the labels."))
    register(Component("sampler", "greedy", GreedySamplerConfig, "zoo_core.modeling.components.samplers:GreedySampler",
                       "The most likely token at every step."))
