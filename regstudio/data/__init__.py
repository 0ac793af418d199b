"""Data layer: built-in sets, the user's files, splits, standardisation, augmentation. NumPy +
Pillow only."""

from .batching import minibatches
from .builtin import BUILTINS, BuiltinSpec
from .dataset import Dataset, Split
from .errors import DataError
from .options import Option
from .sources import SOURCES, load_dataset, source_options

__all__ = ["BUILTINS", "SOURCES", "BuiltinSpec", "DataError", "Dataset", "Option", "Split",
           "load_dataset", "minibatches", "source_options"]
