"""The request bodies that signing in and switching workspace take, for tokens and browser
sessions alike."""

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from kasa_gateway.domain.password_policy import MAX_LENGTH


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=MAX_LENGTH)


class SwitchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID
