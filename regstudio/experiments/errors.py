"""Errors shared by the experiments modules, in a leaf module that imports nothing of theirs
(so that, for example, the project loader and the saved-sweep reader can both raise one)."""


class ProjectError(ValueError):
    """A project file that cannot be loaded (or saved); the message says what and where."""
