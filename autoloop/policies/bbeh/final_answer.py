"""Starting policy for BIG-Bench Extra Hard tasks, in the answer format BBEH itself suggests.

``prompt()`` returns the instructions the executor LLM receives (as the system message)
before each question. ``extract_answer(response)`` turns the executor's reply into the
final answer, which is scored against the target with BBEH's official fuzzy matching.
Both may be rewritten; ``extract_answer`` must stay a pure function of its argument.
"""


def prompt():
    return (
        "Solve the problem below. Reason step by step, then give your final answer on the "
        "last line as 'The final answer is: <answer>'. For a multiple-choice question answer "
        "with the option label only, e.g. (A); for a list, separate the items with commas."
    )


def extract_answer(response):
    tail = response.rsplit("The final answer is:", 1)[-1].strip()
    first_line = tail.splitlines()[0] if tail else ""
    return first_line.strip().rstrip(".").strip("*").strip()
