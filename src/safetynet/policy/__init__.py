"""Policy rules: the assistance calculators (pure; parameters come from :mod:`safetynet.parameters`)."""
