"""What one request may ask of the server, and the one-line 4xx errors for what it may not."""
from __future__ import annotations

from dataclasses import dataclass

from zoo_core.errors import ZooError


class RequestError(ZooError):
    """A bad request: shown to the client as ``{"error": message}`` with this HTTP status, never a 500."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """Bounds on one request (`zoo serve --max-chars/--max-inputs/--max-tokens`)."""

    max_chars: int = 2000  # characters in one input or prompt
    max_inputs: int = 64  # inputs in one predict request
    max_tokens: int = 256  # tokens one generation may ask for (and the default for language models)
    max_beam: int = 16  # a translation's beam width

    def __post_init__(self):
        for name in ("max_chars", "max_inputs", "max_tokens", "max_beam"):
            if getattr(self, name) < 1:
                raise ZooError(f"--{name.replace('_', '-')} {getattr(self, name)}: give at least 1")

    @property
    def max_body_bytes(self) -> int:
        """A request body larger than this cannot be within the limits (4 bytes per character, JSON quoting)."""
        return self.max_inputs * (self.max_chars * 8 + 8) + 4096

    def check_inputs(self, inputs: list[str], field: str = "inputs") -> None:
        if not inputs:
            raise RequestError(f"{field}: give at least one input")
        if len(inputs) > self.max_inputs:
            raise RequestError(f"{field}: {len(inputs)} inputs, above this server's limit of {self.max_inputs} "
                               "a request (zoo serve --max-inputs); send fewer per request", 413)
        for index, text in enumerate(inputs):
            self.check_text(text, f"{field}[{index}]")

    def check_text(self, text: str, field: str, allow_empty: bool = False) -> None:
        if len(text) > self.max_chars:
            raise RequestError(f"{field}: {len(text):,} characters, above this server's limit of {self.max_chars:,} "
                               "(zoo serve --max-chars)", 413)
        if not allow_empty and not text.strip():
            raise RequestError(f"{field}: the input is empty; give some text")

    def check_max_tokens(self, max_tokens: int | None) -> int:
        """The tokens a generation may make: the request's, within the limit; the limit when not given."""
        if max_tokens is None:
            return self.max_tokens
        if max_tokens < 1:
            raise RequestError(f"max_tokens: {max_tokens}; give at least 1")
        if max_tokens > self.max_tokens:
            raise RequestError(f"max_tokens: {max_tokens:,} is above this server's limit of {self.max_tokens:,} "
                               "(zoo serve --max-tokens)", 413)
        return max_tokens
