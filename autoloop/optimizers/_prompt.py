"""The ``llm`` optimizer's prompt: templates as data, one function that assembles them.

The layout follows OptoPrime's idea (instruction, the variables one may change, the inputs,
outputs and feedback of the run, the answer format) adapted to autoloop's vocabulary: named
artifact parameters, a batch of traces cut to the credit horizon, and a memory of past attempts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autoloop.artifact import Artifact
from autoloop.context import Attempt, LearningContext
from autoloop.llm import AnswerFormat
from autoloop.trace import Step, Trace

CHARS_PER_TOKEN = 4  # rough estimate; good enough to keep evidence inside a budget
DEFAULT_EVIDENCE_TOKENS = 6000
FIELD_CHARS = 2000  # longest step input/output/feedback shown before clipping
MIN_FIELD_CHARS = 200

SYSTEM_PROMPT = """\
You improve an artifact (a program or a prompt) from evidence of how it ran.
The request has these sections:
- Task: what the artifact is for and how it is scored (higher is better).
- Instruction: what to do.
- Editable parameters: named pieces of the artifact you may rewrite.
- Read-only parameters and context: shown so you understand the artifact; you cannot change them.
- Evidence: runs of the current artifact on training instances, each with its steps
  (input, output, reward, feedback), its score and any error.
- Past attempts: earlier revisions, their batch scores and what was changed after them.
{answer_rule}"""

ANSWER_RULES = {
    "json": "Answer with one JSON object and nothing else.",
    "fenced": "Answer in plain text: your reasoning, then each changed parameter as a heading and one fenced code block.",
}

INSTRUCTION = (
    "Rewrite the editable parameters so the artifact scores higher on new instances of this task. "
    "Use the feedback and errors to find the cause, and generalize rather than fit these runs."
)

USER_TEMPLATE = """\
# Task
{background}

# Instruction
{instruction}

# Editable parameters
{editable}

# Read-only parameters and context (do not change)
{read_only}

# Evidence: {n_runs} run(s) of the current artifact, mean score {batch_score:.6g}
{evidence}

# Past attempts (oldest first)
{memory}

# Answer format
{answer_format}"""

PARAMETER_TEMPLATE = """\
## `{name}` ({access}, {kind})
```{fence}
{text}
```"""

RUN_TEMPLATE = """\
## Run {number}: instance {instance}, score {score:.6g}
{steps}
Run feedback: {feedback}"""

STEP_TEMPLATE = """\
Step {number}
  input: {input}
  output: {output}
  reward: {reward:.6g}
  feedback: {feedback}"""

MEMORY_LINE = "- iteration {iteration}: artifact {artifact} scored {score:.6g} on its batch; then changed: {changed}"

JSON_ANSWER_FORMAT = """\
Reply with a JSON object:
{{"reasoning": "<what the feedback says, what causes it, what you change and why>",
 "updates": {{"<editable parameter name>": "<its complete new text>"}}}}
Rules: put only editable parameter names in "updates" ({names}); leave out (or set to null)
those you keep; give the complete new text of each changed parameter, not a diff.{code_rule}"""

FENCED_ANSWER_FORMAT = """\
Reply in plain text, not JSON. First your reasoning: what the feedback says, what causes it,
what you change and why. Then, for each editable parameter you change, a heading line
`### <name>` and right below it one fenced block holding its complete new text:
### {example}
```{fence}
<its complete new text>
```
Rules: use only editable parameter names as headings ({names}); leave out those you keep;
give the complete new text of each changed parameter, not a diff.{code_rule}"""

ANSWER_FORMATS = {"json": JSON_ANSWER_FORMAT, "fenced": FENCED_ANSWER_FORMAT}

CODE_RULE = (
    "\nEach parameter is Python source: keep its function name and signature, keep it valid "
    "Python, and only use names defined in the artifact or its imports."
)

PARSE_RETRY_TEMPLATE = """\
Your reply could not be used: {error}
Answer again in the format described above ({what})."""

RETRY_WHAT = {
    "json": "only the JSON object",
    "fenced": "reasoning, then a `### <name>` heading and one fenced code block per changed parameter",
}


def build_messages(
    context: LearningContext, *, evidence_tokens: int = DEFAULT_EVIDENCE_TOKENS, answer_format: AnswerFormat = "json"
) -> list[dict[str, str]]:
    """Assemble the system and user messages for one update.

    Args:
        context: The artifact, the batch of traces, the background and the memory.
        evidence_tokens: Approximate token budget for the evidence section; long step
            lists keep their head and tail, long fields are clipped, omissions are stated.
        answer_format: ``json`` (one JSON object) or ``fenced`` (a fenced block per changed parameter).

    Returns:
        Chat messages, system first. ``fit_messages`` fits them to a context window instead.
    """
    return compose(context, answer_format, evidence=evidence_text(context.traces, evidence_tokens), memory=context.memory)


def compose(
    context: LearningContext, answer_format: AnswerFormat, *, evidence: str, memory: Sequence[Attempt], memory_left_out: int = 0
) -> list[dict[str, str]]:
    """The messages of one update with the evidence already rendered and the memory chosen.

    Args:
        context: The artifact, the batch of traces and the background.
        answer_format: ``json`` or ``fenced``.
        evidence: The evidence section (``evidence_text``).
        memory: The past attempts shown, oldest first.
        memory_left_out: Older attempts left out to fit the context window (said in the prompt).
    """
    artifact = context.artifact
    editable = [n for n in artifact.parameters if n in artifact.editable]
    user = USER_TEMPLATE.format(
        background=context.background.strip() or "(none given)",
        instruction=INSTRUCTION,
        editable="\n\n".join(_parameter(artifact, n) for n in editable),
        read_only=_read_only(artifact),
        n_runs=len(context.traces),
        batch_score=context.batch_score,
        evidence=evidence,
        memory=_memory(memory, memory_left_out),
        answer_format=ANSWER_FORMATS[answer_format].format(
            names=", ".join(f'"{n}"' for n in editable),
            code_rule=CODE_RULE if artifact.kind == "python" else "",
            example=editable[0] if editable else "name",
            fence="python" if artifact.kind == "python" else "text",
        ),
    )
    system = SYSTEM_PROMPT.format(answer_rule=ANSWER_RULES[answer_format])
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def skeleton(answer_format: AnswerFormat) -> list[dict[str, str]]:
    """The messages of an update with every variable part empty: what any prompt holds at least."""
    user = USER_TEMPLATE.format(
        background="", instruction=INSTRUCTION, editable="", read_only="", n_runs=0, batch_score=0.0, evidence="", memory="",
        answer_format=ANSWER_FORMATS[answer_format].format(names="", code_rule="", example="", fence=""),
    )
    return [{"role": "system", "content": SYSTEM_PROMPT.format(answer_rule=ANSWER_RULES[answer_format])}, {"role": "user", "content": user}]


def evidence_text(traces: Sequence[Trace], evidence_tokens: int) -> str:
    """The evidence section: every run, cut to about ``evidence_tokens`` (steps halved, then fields clipped)."""
    return _evidence(traces, evidence_tokens * CHARS_PER_TOKEN)


def retry_message(error: str, answer_format: AnswerFormat = "json") -> dict[str, str]:
    """The user message that shows the model why its last reply was rejected."""
    return {"role": "user", "content": PARSE_RETRY_TEMPLATE.format(error=error, what=RETRY_WHAT[answer_format])}


def update_schema(artifact: Artifact) -> dict[str, Any]:
    """A strict JSON schema for the answer: reasoning plus a nullable text per editable name."""
    names = sorted(artifact.editable)
    updates = {
        "type": "object",
        "properties": {n: {"type": ["string", "null"]} for n in names},
        "required": names,
        "additionalProperties": False,
    }
    return {
        "name": "artifact_update",
        "schema": {
            "type": "object",
            "properties": {"reasoning": {"type": "string"}, "updates": updates},
            "required": ["reasoning", "updates"],
            "additionalProperties": False,
        },
    }


def _parameter(artifact: Artifact, name: str) -> str:
    return PARAMETER_TEMPLATE.format(
        name=name,
        access="editable" if name in artifact.editable else "READ-ONLY",
        kind=artifact.kind,
        fence="python" if artifact.kind == "python" else "text",
        text=artifact.parameters[name].strip("\n"),
    )


def _read_only(artifact: Artifact) -> str:
    parts = [_parameter(artifact, n) for n in artifact.parameters if n not in artifact.editable]
    if artifact.context.strip():
        parts.append(f"## Context (READ-ONLY)\n{artifact.context.strip()}")
    return "\n\n".join(parts) or "(none)"


def _memory(memory: Sequence[Attempt], left_out: int = 0) -> str:
    lines = [f"- ({left_out} older attempt(s) left out to fit the model's context window)"] if left_out else []
    lines += [
        MEMORY_LINE.format(
            iteration=a.iteration,
            artifact=a.artifact_hash[:8],
            score=a.batch_score,
            changed=", ".join(a.changed) or "nothing",
        )
        for a in memory
    ]
    return "\n".join(lines) or "(none yet)"


def _evidence(traces: Sequence[Trace], budget_chars: int) -> str:
    """Render every run; halve the steps kept, then the field length, until within budget."""
    keep = max((len(t.steps) for t in traces), default=0)
    field_chars = FIELD_CHARS
    while True:
        text = "\n\n".join(_run(i, t, keep, field_chars) for i, t in enumerate(traces, 1))
        if len(text) <= budget_chars or (keep <= 2 and field_chars <= MIN_FIELD_CHARS):
            return clip(text, budget_chars)
        if keep > 2:
            keep = max(2, keep // 2)
        else:
            field_chars = max(MIN_FIELD_CHARS, field_chars // 2)


def _run(number: int, trace: Trace, keep: int, field_chars: int) -> str:
    steps = trace.steps
    head = (keep + 1) // 2
    shown: list[str] = [_step(i, s, field_chars) for i, s in enumerate(steps[:head], 1)]
    if len(steps) > keep:
        shown.append(f"... {len(steps) - keep} step(s) omitted ...")
        tail_start = len(steps) - (keep - head)
        shown.extend(_step(i, s, field_chars) for i, s in enumerate(steps[tail_start:], tail_start + 1))
    else:
        shown.extend(_step(i, s, field_chars) for i, s in enumerate(steps[head:], head + 1))
    text = RUN_TEMPLATE.format(
        number=number,
        instance=trace.instance_id,
        score=trace.score,
        steps="\n".join(shown) or "(no steps recorded)",
        feedback=clip(trace.feedback, field_chars) or "(none)",
    )
    if trace.error:
        text += f"\nError: {clip(trace.error, field_chars)}"
    return text


def _step(number: int, step: Step, field_chars: int) -> str:
    return STEP_TEMPLATE.format(
        number=number,
        input=clip(step.input, field_chars),
        output=clip(step.output, field_chars),
        reward=step.reward,
        feedback=clip(step.feedback, field_chars) or "(none)",
    )


def clip(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping head and tail and saying how much was cut."""
    if len(text) <= limit:
        return text
    half = max(limit // 2, 1)
    return f"{text[:half]}\n... [{len(text) - 2 * half} characters omitted] ...\n{text[-half:]}"
