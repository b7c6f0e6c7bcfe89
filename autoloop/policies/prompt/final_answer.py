"""Starting policy for prompt tasks that asks for a short, marked final answer.

``prompt()`` returns the instructions the executor LLM receives (as the system message)
before each input. ``extract_answer(response)`` turns the executor's reply into the final
answer, which is matched against the expected answer as the task background describes.
Both may be rewritten; ``extract_answer`` must stay a pure function of its argument.
"""


def prompt():
    return (
        "Solve the problem below. Reason step by step, then give your final answer alone on "
        "the last line as 'The final answer is: <answer>', with no units or extra words."
    )


def extract_answer(response):
    tail = response.rsplit("The final answer is:", 1)[-1].strip()
    first_line = tail.splitlines()[0] if tail else ""
    return first_line.strip().rstrip(".").strip("*").strip()
