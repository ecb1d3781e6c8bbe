"""Staff: specialists and their accounts (screens in ``views``)."""
