"""Models that leave the zoo: ONNX export and running on ONNX Runtime, a Hugging Face-style folder, the Hub.

A front-end over the core (docs/deploy.md): ``onnx_export`` writes one .onnx file per model, ``onnx_runner``
runs it behind the interface the tasks call, ``folder`` writes and reads an exported folder, ``hub`` downloads
and uploads one, ``references`` resolves any model reference (store name, .safetensors, .onnx, folder,
hf://OWNER/NAME[@REV]) to a loaded model.
"""
