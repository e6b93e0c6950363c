"""Data configs of the core's tasks (light: no torch)."""
from pydantic import Field

from zoo_core.config import StrictConfig


class ClassifyDataConfig(StrictConfig):
    max_length: int = Field(400, ge=1, description="Tokens kept from each text (longer texts are cut).")
