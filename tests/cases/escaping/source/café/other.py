from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    """Same class name as models.User: the generated module must alias one."""

    id: int
