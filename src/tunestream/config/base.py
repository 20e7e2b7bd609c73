"""What every settings model shares: strict frozen models, typed ports and JVM sizes, the words
that mark a secret, and a bad file's problem told on one line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "REPO_ROOT",
    "SECRET_WORDS",
    "JvmSize",
    "Model",
    "Port",
    "TopicName",
    "describe_yaml_error",
    "printable",
]

# Where the repository keeps Maven-resolved jars (`make jars`); the package sits in <repo>/src.
REPO_ROOT = Path(__file__).resolve().parents[3]

Port = Annotated[int, Field(ge=1, le=65535)]
TopicName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")]


def _jvm_size(value: str) -> str:
    if not re.fullmatch(r"[1-9][0-9]*[mMgG]", value):
        raise ValueError("a JVM memory size such as 512m or 2g is expected")
    return value


JvmSize = Annotated[str, AfterValidator(_jvm_size)]
SECRET_WORDS = ("password", "secret", "token", "key.pem", "credentials")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def printable(text: str) -> str:
    """``text`` with each character that is not printable (a line break, a control character)
    escaped as Python writes it: what a message shows of a file's keys and values stays on one
    line."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def describe_yaml_error(error: yaml.YAMLError) -> str:
    """Where and what a YAML parser found wrong, on one line: ``line 3: <problem>``."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return where + printable(getattr(error, "problem", None) or "not valid YAML")
