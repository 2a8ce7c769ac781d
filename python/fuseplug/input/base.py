"""The base class of input plugins."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from fuseplug.common import SqlTable

__all__ = ["BaseInputSource", "SqlTable"]


class BaseInputSource(ABC):
    """A kind of data source: says whether an input is one of its own (``is_correct_input``) and
    describes it as a :class:`~fuseplug.common.SqlTable` (``build_table``)."""

    @abstractmethod
    def is_correct_input(self, input_item: Any, table_name: str, **kwargs: Any) -> bool:
        """Whether ``input_item`` is an input this source handles."""

    @abstractmethod
    def build_table(self, input_item: Any, table_name: str, **kwarg: Any) -> SqlTable:
        """The table ``input_item`` holds, named ``table_name``."""
