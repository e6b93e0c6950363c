"""The plugin contract: every hook a zoo plugin may implement.

Each hook is given a ``register`` callback; the plugin calls it once per thing it offers.
"""
import pluggy

hookspec = pluggy.HookspecMarker("zoo")
hookimpl = pluggy.HookimplMarker("zoo")


@hookspec
def register_components(register):
    """Call ``register(zoo_core.Component(...))`` for each encoder, head, pooler or sampler."""


@hookspec
def register_architectures(register):
    """Call ``register(zoo_core.Architecture(...))`` for each named preset."""


@hookspec
def register_tasks(register):
    """Call ``register(zoo_core.Task(...))`` for each task (data, metrics, output)."""
