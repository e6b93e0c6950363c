"""Models: the component interfaces, the composed ZooModel, batching, saving and loading, the core's own components."""
