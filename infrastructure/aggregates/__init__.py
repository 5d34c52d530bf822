from infrastructure.aggregates.aggregate import Aggregate
from infrastructure.aggregates.repository import Repository

__all__ = ["Aggregate", "Repository"]
