"""`zoo serve`: saved models behind an HTTP API (FastAPI) with a web page to try them (docs/serve.md).

``limits``: what a request may ask; ``worker``: one thread per model that batches concurrent requests and
advances generations; ``served``: a loaded model and what the API says about it; ``app``: the routes;
``static/``: the page at ``/``. FastAPI is imported only here (the ``serve`` extra).
"""
