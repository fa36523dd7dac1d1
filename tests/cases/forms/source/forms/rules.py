"""Computes and rules reached through a module: ``rules.quota_ok``."""

from loom.core.use_case import RuleViolation

PROFILE_FULL = "full"


def trim(cmd, fields_set):
    return cmd.model_copy(update={"name": cmd.name.strip()})


def quota_ok(cmd, fields_set):
    if cmd.name == "over":
        raise RuleViolation("name", "over quota")
