"""Data layer: built-in sets, the user's files, splits, standardisation, augmentation. NumPy +
Pillow (and pandas, imported when a table is opened)."""

from . import augment
from .augment import OPS, OpSpec, Pipeline
from .batching import minibatches
from .builtin import BUILTINS, BuiltinSpec
from .dataset import Dataset, Split
from .errors import DataError
from .options import Option
from .progress import LoadCancelled
from .sources import SOURCES, dataset_from_raw, load_dataset, load_raw, rebase_paths, source_options, validate_data
from .table import TableInfo, inspect_table

__all__ = ["BUILTINS", "OPS", "SOURCES", "BuiltinSpec", "DataError", "Dataset", "LoadCancelled",
           "OpSpec", "Option", "Pipeline", "Split", "TableInfo", "augment", "dataset_from_raw",
           "inspect_table", "load_dataset", "load_raw", "minibatches", "rebase_paths",
           "source_options", "validate_data"]
