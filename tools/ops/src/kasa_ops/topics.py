"""RabbitMQ topic matching: which binding patterns a routing key satisfies."""


def topic_matches(pattern: str, routing_key: str) -> bool:
    """``*`` matches exactly one word, ``#`` zero or more, words separated by dots."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        head, rest = p[0], p[1:]
        if head == "#":
            return any(match(rest, k[i:]) for i in range(len(k) + 1))
        if not k:
            return False
        return (head == "*" or head == k[0]) and match(rest, k[1:])

    return match(pattern.split("."), routing_key.split("."))
