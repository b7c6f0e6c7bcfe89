"""Usage: LLM calls and tokens, counted per client and summed over a loop run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Usage:
    """LLM usage counted by an optimizer: calls and tokens, summed over a loop run."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def add(self, calls: int = 0, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        """Count one or more calls."""
        self.calls += calls
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
