"""The core's own components, registered through the same hooks as any plugin (as pytest does)."""
from zoo_core.components.configs import ClassifyHeadConfig, GreedySamplerConfig, LastPoolerConfig
from zoo_core.hookspecs import hookimpl
from zoo_core.specs import Component, Task


@hookimpl
def register_tasks(register):
    from zoo_core.tasks.configs import ClassifyDataConfig

    register(Task("classify", "zoo_core.tasks.classify:ClassifyTask", "Text classification (e.g. sentiment).",
                  data_config=ClassifyDataConfig))


@hookimpl
def register_components(register):
    register(Component("pooler", "last", LastPoolerConfig, "zoo_core.components.poolers:LastPooler",
                       "The encoder's state at each sequence's last real token."))
    register(Component("head", "classify", ClassifyHeadConfig, "zoo_core.components.classify_head:ClassifyHead",
                       "A pooler over time, then a linear layer to the labels."))
    register(Component("sampler", "greedy", GreedySamplerConfig, "zoo_core.components.samplers:GreedySampler",
                       "The most likely token at every step."))
