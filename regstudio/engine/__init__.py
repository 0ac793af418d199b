"""The pure-NumPy training engine: layers, losses, penalties, optimizers, trainer."""

from .callbacks import Callback, EarlyStopping, History
from .control import TrainingControl
from .events import BatchProgress, Diverged, EpochEnd, Finished, LiveChange, WeightsSnapshot
from .layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D
from .losses import MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, get_loss
from .model import LAYER_OPTIONS, LayerInfo, ModelSpecError, Sequential, describe_layers
from .optimizers import SGD, Adam, AdamW
from .regularizers import L1, L1L2, L2, PenaltyPlan
from .threads import set_threads
from .trainer import Trainer

__all__ = [
    "Adam", "AdamW", "BatchProgress", "Callback", "Conv2D", "Dense", "Diverged", "Dropout", "EarlyStopping",
    "EpochEnd", "Finished", "Flatten", "History", "L1", "L1L2", "L2", "LAYER_OPTIONS", "Layer",
    "LayerInfo", "LiveChange", "MaxPool2D", "MeanSquaredError", "ModelSpecError", "PenaltyPlan",
    "SGD", "Sequential", "SigmoidBinaryCrossEntropy", "SoftmaxCrossEntropy", "Trainer",
    "TrainingControl", "WeightsSnapshot", "describe_layers", "get_loss", "set_threads",
]
