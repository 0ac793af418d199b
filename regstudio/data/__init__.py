"""Data layer: built-in sets, the user's files, splits, standardisation, augmentation. NumPy +
Pillow only."""

from . import augment
from .augment import OPS, OpSpec, Pipeline
from .batching import minibatches
from .builtin import BUILTINS, BuiltinSpec
from .dataset import Dataset, Split
from .errors import DataError
from .options import Option
from .sources import SOURCES, dataset_from_raw, load_dataset, load_raw, rebase_paths, source_options, validate_data

__all__ = ["BUILTINS", "OPS", "SOURCES", "BuiltinSpec", "DataError", "Dataset", "OpSpec", "Option",
           "Pipeline", "Split", "augment", "dataset_from_raw", "load_dataset", "load_raw", "minibatches",
           "rebase_paths", "source_options", "validate_data"]
