"""Starting policy for BIG-Bench Extra Hard tasks.

``prompt()`` returns the instructions the executor LLM receives (as the system message)
before each question. ``extract_answer(response)`` turns the executor's reply into the
final answer, which is scored against the target with BBEH's official fuzzy matching.
Both may be rewritten; ``extract_answer`` must stay a pure function of its argument.
"""


def prompt():
    return (
        "Answer the question below. Think it through step by step, then finish with a "
        "last line of the form 'Answer: <your final answer>'."
    )


def extract_answer(response):
    return response.split("Answer:")[-1].strip()
