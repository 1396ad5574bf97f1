"""The invoicing service's own tables."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from kasa_servicekit.orm import NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


metadata = Base.metadata
