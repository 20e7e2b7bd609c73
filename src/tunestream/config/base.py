"""What every settings model shares: strict frozen models, typed ports and JVM sizes, and the
words that mark a secret."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["REPO_ROOT", "SECRET_WORDS", "JvmSize", "Model", "Port", "TopicName"]

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
