"""Starting policy for prompt tasks: instructions for an executor LLM and an answer extractor.

``prompt()`` returns the instructions the executor LLM receives (as the system message)
before each input. ``extract_answer(response)`` turns the executor's reply into the final
answer, which is matched against the expected answer as the task background describes.
Both may be rewritten; ``extract_answer`` must stay a pure function of its argument.
"""


def prompt():
    return (
        "Answer the question below. Think it through step by step, then finish with a "
        "last line of the form 'Answer: <your final answer>'."
    )


def extract_answer(response):
    return response.split("Answer:")[-1].strip()
