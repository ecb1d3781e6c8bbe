"""The hall desk: the service guide, walk-in help and the public progress inquiry (``views``)."""
