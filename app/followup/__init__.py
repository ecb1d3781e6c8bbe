"""Follow-up work on a case: joint reviews and rectifications (screens in ``views``)."""
